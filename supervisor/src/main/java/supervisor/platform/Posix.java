package supervisor.platform;

import java.nio.file.Path;

/**
 * The few POSIX calls the supervisor makes beyond what the JDK offers. One implementation per
 * platform; only {@link LinuxPosix} touches native code, and nothing outside this package sees JNA.
 * All methods are thread-safe.
 */
public interface Posix {

    /** What became of a signal. */
    enum Delivery {
        /** The signal was queued for exactly the process named. */
        SENT,
        /** The process no longer exists, or its pid now names another process: nothing was sent. */
        GONE
    }

    /**
     * Sends {@code signal} to exactly {@code target}: the pid is checked against the start time
     * first, so a recycled pid is never hit.
     *
     * @throws PlatformException when the kernel refuses for another reason (EPERM, say)
     */
    Delivery signal(ProcessId target, int signal);

    /**
     * Reaps {@code pid} if it is a child of this process that has exited. Never call it for a pid
     * that a {@link java.lang.Process} owns: that would steal the JDK's exit status.
     *
     * @return the raw wait status, or -1 when the child has not exited or is not our child
     */
    int reap(int pid);

    /**
     * Makes this process the child subreaper: orphans among its descendants (double-forked,
     * setsid'ed) are reparented to it instead of init, so that it can still find and kill them.
     *
     * @return false when the platform has no such thing
     */
    boolean becomeSubreaper();

    /** Undoes {@link #becomeSubreaper()}: orphans go to init again. */
    void stopBeingSubreaper();

    /**
     * Sends one datagram to an AF_UNIX socket: a path, or an abstract name written with a leading
     * '@' (systemd's NOTIFY_SOCKET convention). The JDK cannot send UNIX datagrams.
     * Never blocks: when the receiver's queue is full it fails at once (EAGAIN) instead of
     * waiting for the receiver to read.
     *
     * @throws PlatformException naming the socket and the reason (no such socket, nobody
     *         listening, queue full, ...)
     */
    void sendDatagram(String socket, byte[] message);

    /**
     * Binds a new AF_UNIX datagram socket to {@code path}, which must not exist, for receiving:
     * the notify socket a task is given ({@code NOTIFY_SOCKET}). The JDK cannot receive UNIX
     * datagrams. A receive waits at most {@code pollMillis}, so the receiving thread notices
     * {@link DatagramReceiver#close()} without a signal.
     *
     * @throws PlatformException naming the path and the reason (too long, exists, no permission)
     */
    DatagramReceiver bindDatagram(Path path, int pollMillis);

    /**
     * Blocks until some child of this process has exited, and returns its pid without reaping
     * it (waitid P_ALL, WNOWAIT): the caller decides whether it is its own to reap.
     *
     * @return the pid, or -1 when this process has no child at all
     */
    int awaitAnyChildExit();

    /**
     * Opens a pidfd for {@code pid}, a child not yet reaped, from which {@link #exitRecord} reads
     * its raw wait status once someone (the JDK) has reaped it.
     *
     * @return the descriptor, or -1 when the process is gone or the kernel has no pidfds
     */
    int openExitRecord(int pid);

    /**
     * The raw wait status (exited with N, or killed by signal N) of the process of a pidfd from
     * {@link #openExitRecord}, once it has been reaped; closes the descriptor. The JDK reports
     * both a death by signal N and an exit with 128+N as 128+N; the kernel keeps them apart.
     *
     * @return the status as wait(2) gives it, or -1 when unknown (a kernel before 6.15, which
     *     has no PIDFD_INFO_EXIT; or not reaped yet)
     */
    int exitRecord(int pidfd);

    /**
     * Ends this process by {@code signal}, as if it had been sent and not handled: its handler
     * reset to the default, unblocked, raised, after core dumps are turned off (a process that
     * passes on how its child died must not leave a core file of its own). So its parent sees
     * "killed by signal N", not an exit with 128+N: a shell's loop, say, stops on a Ctrl-C that
     * killed the command only when it is told so. Returns only when the signal's default action
     * does not end a process (SIGCHLD, SIGCONT, SIGWINCH) or is to stop it (SIGTSTP).
     */
    void dieOf(int signal);

    /**
     * What the kernel counts for this process's children that it has waited for, and for theirs
     * in turn (getrusage RUSAGE_CHILDREN): their CPU time, and the largest peak resident set any
     * one of them had. Processes still running, or not yet reaped, are not in it.
     */
    ChildrenUsage childrenUsage();

    /**
     * Makes a FIFO at {@code path} with {@code mode} (mkfifo(3)); the path must not exist. For a
     * pool worker's control channel, in a directory the supervisor made.
     *
     * @throws PlatformException naming the path and the error
     */
    void makeFifo(Path path, int mode);

    /**
     * Opens a FIFO for reading and writing, non-blocking and close-on-exec (open(2) with
     * O_RDWR | O_NONBLOCK | O_CLOEXEC): the open does not wait for a reader, and a write to it
     * never waits. For a pool worker's control channel.
     *
     * @return the descriptor, for {@link #writeNow} and {@link #close}
     * @throws PlatformException naming the path and the error
     */
    int openFifo(Path path);

    /**
     * Writes {@code bytes} (at most PIPE_BUF, 4096, so all or nothing) to a descriptor from
     * {@link #openFifo}.
     *
     * @return false when the FIFO has no room for them now (EAGAIN): nothing was written
     * @throws PlatformException on any other error
     */
    boolean writeNow(int fd, byte[] bytes);

    /** Closes a descriptor from {@link #openFifo}; errors are ignored (it is closed either way). */
    void close(int fd);

    /**
     * The capacity of the pipe at {@code end} (a {@code /proc/PID/fd/N} that is a pipe), grown to
     * {@code wanted} bytes first where the kernel allows it (F_SETPIPE_SZ: an unprivileged user past
     * {@code fs.pipe-user-pages-soft} gets pipes of one or two pages, and may not grow them).
     * Opens a new descriptor of the pipe for it, closed before it returns.
     *
     * @return the capacity in bytes (F_GETPIPE_SZ)
     * @throws PlatformException naming the path and the error
     */
    int pipeCapacity(Path end, int wanted);

    /**
     * @param cpuNanos user plus system CPU time
     * @param maxRssBytes the peak resident set of the largest single process among them
     */
    record ChildrenUsage(long cpuNanos, long maxRssBytes) {
    }
}
