package supervisor.platform;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Linux system calls through JNA direct mapping. Signals go through a pidfd where the kernel has
 * them (5.3+): once the pidfd is open and the start time matches, the pidfd pins that very
 * process, which closes the race between "check the start time" and "kill" that plain kill(2) has.
 */
final class LinuxPosix implements Posix {
    // <errno.h>
    private static final int EPERM = 1;
    private static final int ESRCH = 3;
    private static final int EINTR = 4;
    private static final int ECHILD = 10;
    private static final int EAGAIN = 11;
    private static final int ENOSYS = 38;
    // <fcntl.h>, <limits.h>: the same on every Linux architecture this runs on (x86-64, aarch64)
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final long SYS_FCNTL = 72;
    private static final long F_SETPIPE_SZ = 1031;
    private static final long F_GETPIPE_SZ = 1032;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final int PIPE_BUF = 4096;
    // <sys/socket.h>
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_TRUNC = 0x20;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    // <sys/wait.h>
    private static final int WNOHANG = 1;
    private static final int WEXITED = 4;
    private static final int WNOWAIT = 0x01000000;
    private static final int P_ALL = 0;
    // <sys/resource.h>
    private static final int RUSAGE_CHILDREN = -1;
    // <linux/prctl.h>
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int PR_SET_DUMPABLE = 4;
    // <signal.h>
    private static final long SIG_DFL = 0;
    private static final int SIG_UNBLOCK = 1;
    // <asm/unistd.h>: syscalls added after 4.20 have one number on every architecture.
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_OPEN = 434;

    // <linux/pidfd.h>: _IOWR(0xFF, 11, struct pidfd_info), sized for its first version.
    private static final int PIDFD_INFO_SIZE_VER0 = 64;
    private static final long PIDFD_GET_INFO = (3L << 30) | ((long) PIDFD_INFO_SIZE_VER0 << 16) | (0xFFL << 8) | 11;
    private static final long PIDFD_INFO_EXIT = 1L << 3;

    private volatile boolean pidfdSupported = true;

    LinuxPosix() {
        // Fail here, on the loader thread, rather than at the first signal.
        LibC.getpid();
    }

    @Override
    public Delivery signal(ProcessId target, int signal) {
        if (pidfdSupported) {
            int fd;
            try {
                fd = (int) LibC.syscall(SYS_PIDFD_OPEN, target.pid(), 0, 0, 0);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ESRCH) {
                    return Delivery.GONE;
                }
                if (e.getErrorCode() != ENOSYS && e.getErrorCode() != EPERM) {
                    throw failure("pidfd_open", target, signal, e);
                }
                pidfdSupported = false; // old kernel, or a seccomp filter: plain kill(2) below
                return signal(target, signal);
            }
            try {
                if (!ProcFs.exists(target)) {
                    return Delivery.GONE;
                }
                LibC.syscall(SYS_PIDFD_SEND_SIGNAL, fd, signal, 0, 0);
                return Delivery.SENT;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ESRCH) {
                    return Delivery.GONE;
                }
                throw failure("pidfd_send_signal", target, signal, e);
            } finally {
                LibC.close(fd);
            }
        }
        if (!ProcFs.exists(target)) {
            return Delivery.GONE;
        }
        try {
            LibC.kill(target.pid(), signal);
            return Delivery.SENT;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ESRCH) {
                return Delivery.GONE;
            }
            throw failure("kill", target, signal, e);
        }
    }

    @Override
    public int reap(int pid) {
        int[] status = new int[1];
        while (true) {
            try {
                int r = LibC.waitpid(pid, status, WNOHANG);
                return r == pid ? status[0] : -1;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) {
                    continue;
                }
                if (e.getErrorCode() == ECHILD) {
                    return -1;
                }
                throw new PlatformException("waitpid(" + pid + ", WNOHANG) failed: " + strerror(e));
            }
        }
    }

    @Override
    public int awaitAnyChildExit() {
        // siginfo_t is 128 bytes on every Linux ABI; si_pid is the int at offset 16 for SIGCHLD.
        int[] info = new int[32];
        while (true) {
            try {
                LibC.waitid(P_ALL, 0, info, WEXITED | WNOWAIT);
                return info[4];
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) {
                    continue;
                }
                if (e.getErrorCode() == ECHILD) {
                    return -1;
                }
                throw new PlatformException("waitid(P_ALL, WEXITED|WNOWAIT) failed: " + strerror(e));
            }
        }
    }

    @Override
    public ChildrenUsage childrenUsage() {
        // struct rusage on LP64: ru_utime and ru_stime (two struct timeval of two longs each),
        // then ru_maxrss in KiB and 13 more longs.
        long[] usage = new long[18];
        try {
            LibC.getrusage(RUSAGE_CHILDREN, usage);
        } catch (LastErrorException e) {
            throw new PlatformException("getrusage(RUSAGE_CHILDREN) failed: " + strerror(e));
        }
        long micros = usage[0] * 1_000_000 + usage[1] + usage[2] * 1_000_000 + usage[3];
        return new ChildrenUsage(micros * 1000, usage[4] * 1024);
    }

    @Override
    public void makeFifo(Path path, int mode) {
        try {
            LibC.mkfifo(path.toString(), mode);
        } catch (LastErrorException e) {
            throw new PlatformException("mkfifo(" + path + ") failed: " + strerror(e));
        }
    }

    @Override
    public int openFifo(Path path) {
        try {
            return LibC.open(path.toString(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new PlatformException("open(" + path + ", O_RDWR|O_NONBLOCK) failed: " + strerror(e));
        }
    }

    @Override
    public int pipeCapacity(Path end, int wanted) {
        int fd;
        try {
            fd = LibC.open(end.toString(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new PlatformException("open(" + end + ") failed: " + strerror(e));
        }
        try {
            long size = LibC.syscall(SYS_FCNTL, fd, F_GETPIPE_SZ, 0, 0);
            if (size < wanted) {
                try {
                    LibC.syscall(SYS_FCNTL, fd, F_SETPIPE_SZ, wanted, 0);
                    size = LibC.syscall(SYS_FCNTL, fd, F_GETPIPE_SZ, 0, 0);
                } catch (LastErrorException e) {
                    // EPERM past the user's soft limit: the pipe stays as it is
                }
            }
            return (int) size;
        } catch (LastErrorException e) {
            throw new PlatformException("fcntl(" + end + ", F_GETPIPE_SZ) failed: " + strerror(e));
        } finally {
            close(fd);
        }
    }

    @Override
    public boolean writeNow(int fd, byte[] bytes) {
        if (bytes.length > PIPE_BUF) {
            throw new IllegalArgumentException(bytes.length + " bytes: more than a FIFO takes at once (" + PIPE_BUF + ")");
        }
        while (true) {
            try {
                long n = LibC.write(fd, bytes, bytes.length);
                if (n != bytes.length) { // cannot happen at most PIPE_BUF bytes: say so rather than lose a frame
                    throw new PlatformException("write(" + fd + ") wrote " + n + " of " + bytes.length + " bytes");
                }
                return true;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EAGAIN) {
                    return false;
                }
                if (e.getErrorCode() != EINTR) {
                    throw new PlatformException("write(" + fd + ") failed: " + strerror(e));
                }
            }
        }
    }

    @Override
    public void close(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            // Linux frees the descriptor even when close fails
        }
    }

    @Override
    public void dieOf(int signal) {
        try {
            LibC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        } catch (LastErrorException e) {
            // a core file might follow; the signal still goes
        }
        try {
            LibC.signal(signal, SIG_DFL); // fails for KILL and STOP, which have no handler
        } catch (LastErrorException e) {
            // KILL, STOP: their default cannot be changed, and is theirs already
        }
        // sigset_t is 1024 bits in glibc; signal N is bit N-1.
        long[] set = new long[16];
        set[(signal - 1) / 64] = 1L << ((signal - 1) % 64);
        long[] old = new long[16];
        try {
            LibC.pthread_sigmask(SIG_UNBLOCK, set, old);
        } catch (LastErrorException e) {
            // pthread_sigmask returns its error, it does not set errno: nothing to do either way
        }
        // raise(3) goes to this very thread, which now neither blocks nor handles it.
        LibC.raise(signal);
    }

    @Override
    public void stopBeingSubreaper() {
        try {
            LibC.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        } catch (LastErrorException e) {
            throw new PlatformException("prctl(PR_SET_CHILD_SUBREAPER, 0) failed: " + strerror(e));
        }
    }

    @Override
    public boolean becomeSubreaper() {
        try {
            LibC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
            return true;
        } catch (LastErrorException e) {
            throw new PlatformException("prctl(PR_SET_CHILD_SUBREAPER) failed: " + strerror(e));
        }
    }

    @Override
    public void sendDatagram(String socket, byte[] message) {
        byte[] address = unixAddress(socket);
        int fd = datagramSocket();
        try {
            // MSG_DONTWAIT: a receiver whose queue is full (net.unix.max_dgram_qlen) would
            // otherwise block sendto until it reads, forever if it never does; now it is EAGAIN.
            LibC.sendto(fd, message, message.length, MSG_DONTWAIT | MSG_NOSIGNAL, address, address.length);
        } catch (LastErrorException e) {
            throw new PlatformException("sendto " + socket + " failed: " + strerror(e));
        } finally {
            LibC.close(fd);
        }
    }

    private static int datagramSocket() {
        try {
            return LibC.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new PlatformException("socket(AF_UNIX, SOCK_DGRAM) failed: " + strerror(e));
        }
    }

    @Override
    public DatagramReceiver bindDatagram(Path path, int pollMillis) {
        byte[] address = unixAddress(path.toString());
        int fd = datagramSocket();
        try {
            LibC.bind(fd, address, address.length);
            // struct timeval {tv_sec, tv_usec}, two longs on the 64-bit ABIs this runs on.
            long[] timeval = {pollMillis / 1000, (pollMillis % 1000) * 1000L};
            LibC.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16);
        } catch (LastErrorException e) {
            LibC.close(fd);
            throw new PlatformException("bind " + path + " failed: " + strerror(e));
        }
        return new UnixReceiver(fd, path.toString());
    }

    /**
     * The fd is closed by whichever of {@link #close()} and the receiving thread comes last: an fd
     * closed while another thread is in recv(2) could be reused by an open elsewhere before that
     * recv returns, which would then read someone else's descriptor.
     */
    private static final class UnixReceiver implements DatagramReceiver {
        private final int fd;
        private final String path;
        private boolean closed; // guarded by this
        private boolean receiving; // guarded by this

        UnixReceiver(int fd, String path) {
            this.fd = fd;
            this.path = path;
        }

        @Override
        public byte[] receive(int limit) {
            synchronized (this) {
                if (closed) {
                    return null;
                }
                receiving = true;
            }
            try {
                byte[] buffer = new byte[limit + 1];
                // MSG_TRUNC: the datagram's real length, so that an overlong one is seen as such.
                long n = LibC.recv(fd, buffer, buffer.length, MSG_TRUNC);
                return n > limit ? buffer : Arrays.copyOf(buffer, (int) n);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EAGAIN || e.getErrorCode() == EINTR) {
                    return null; // the poll interval passed
                }
                throw new PlatformException("recv on " + path + " failed: " + strerror(e));
            } finally {
                synchronized (this) {
                    receiving = false;
                    if (closed) {
                        LibC.close(fd);
                    }
                }
            }
        }

        @Override
        public synchronized boolean closed() {
            return closed;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (!receiving) {
                LibC.close(fd);
            }
        }
    }

    /**
     * A struct sockaddr_un: sun_family in native byte order, then the path (NUL-terminated), or,
     * for an abstract name, a NUL and the name with no terminator, the length counting only it.
     */
    static byte[] unixAddress(String socket) {
        byte[] name = socket.getBytes(StandardCharsets.UTF_8);
        boolean isAbstract = socket.startsWith("@");
        int pathLength = isAbstract ? name.length : name.length + 1;
        if (pathLength > 108) {
            throw new PlatformException("socket name too long (" + name.length + " bytes): " + socket);
        }
        byte[] address = new byte[2 + pathLength];
        ByteBuffer.wrap(address).order(ByteOrder.nativeOrder()).putShort((short) AF_UNIX);
        System.arraycopy(name, 0, address, 2, name.length);
        if (isAbstract) {
            address[2] = 0;
        }
        return address;
    }

    private static PlatformException failure(String call, ProcessId target, int signal,
                                             LastErrorException e) {
        return new PlatformException(call + " of " + Signal.name(signal) + " to pid " + target.pid()
                + " failed: " + strerror(e));
    }

    private static String strerror(LastErrorException e) {
        // JNA's message is "[errno] text"; keep the text, name the errno.
        String m = e.getMessage();
        int close = m == null ? -1 : m.indexOf(']');
        String text = close >= 0 ? m.substring(close + 1).trim() : String.valueOf(m);
        return text + " (errno " + e.getErrorCode() + ")";
    }

    @Override
    public int openExitRecord(int pid) {
        if (!pidfdSupported) {
            return -1;
        }
        try {
            return (int) LibC.syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0);
        } catch (LastErrorException e) {
            return -1; // gone already (ESRCH), or no pidfds (ENOSYS, a seccomp filter's EPERM)
        }
    }

    @Override
    public int exitRecord(int pidfd) {
        if (pidfd < 0) {
            return -1;
        }
        // <linux/pidfd.h> struct pidfd_info, its first version (64 bytes): mask (u64) at 0, the
        // wait status (s32 exit_code) at 60. The kernel keeps it once the process is reaped.
        byte[] info = new byte[PIDFD_INFO_SIZE_VER0];
        ByteBuffer b = ByteBuffer.wrap(info).order(ByteOrder.nativeOrder());
        b.putLong(0, PIDFD_INFO_EXIT);
        try {
            LibC.ioctl(pidfd, PIDFD_GET_INFO, info);
            return (b.getLong(0) & PIDFD_INFO_EXIT) != 0 ? b.getInt(60) : -1;
        } catch (LastErrorException e) {
            return -1; // before 6.15: no PIDFD_GET_INFO (ENOTTY, EINVAL)
        } finally {
            try {
                LibC.close(pidfd);
            } catch (LastErrorException e) {
                // closed; nothing to do about it
            }
        }
    }

    /** The native bindings. Direct mapping: no proxy, no varargs, errno captured per call. */
    static final class LibC {
        static {
            Native.register("c");
        }

        private LibC() {
        }

        static native int getpid();

        static native int kill(int pid, int signal) throws LastErrorException;

        static native long signal(int signal, long handler) throws LastErrorException;

        static native int pthread_sigmask(int how, long[] set, long[] old);

        static native int raise(int signal);

        static native int close(int fd) throws LastErrorException;

        static native int mkfifo(String path, int mode) throws LastErrorException;

        static native int open(String path, int flags) throws LastErrorException; // no O_CREAT: no mode

        static native long write(int fd, byte[] buffer, long length) throws LastErrorException;

        static native int ioctl(int fd, long request, byte[] argument) throws LastErrorException;

        static native int waitpid(int pid, int[] status, int options) throws LastErrorException;

        static native int waitid(int idtype, int id, int[] info, int options) throws LastErrorException;

        static native int getrusage(int who, long[] usage) throws LastErrorException;

        static native int prctl(int option, long arg2, long arg3, long arg4, long arg5)
                throws LastErrorException;

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native int bind(int fd, byte[] address, int addressLength) throws LastErrorException;

        static native int setsockopt(int fd, int level, int name, long[] value, int length) throws LastErrorException;

        static native long recv(int fd, byte[] buffer, long length, int flags) throws LastErrorException;

        static native long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength)
                throws LastErrorException;

        /** syscall(2) with four arguments: unused trailing registers are ignored by the kernel. */
        static native long syscall(long number, long a1, long a2, long a3, long a4)
                throws LastErrorException;
    }
}
