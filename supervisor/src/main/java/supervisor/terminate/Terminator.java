package supervisor.terminate;

import java.util.List;
import supervisor.platform.ProcessId;
import supervisor.platform.Signal;

/**
 * Stops one task and everything it started, whatever the mechanism. Its one user is
 * {@code supervisor.process.SupervisedProcess}, through which {@code run}, the worker pool, the
 * task runner and the zt-exec adapter all stop their tasks; the policy (which signal, how long a
 * grace, when to kill) is decided above it, not here.
 *
 * <p>Implementations are used from one thread at a time.
 */
public interface Terminator {

    /** What holds the tree, for debug messages: "cgroup /sys/fs/cgroup/...", "process tree". */
    String mechanism();

    /**
     * Asks politely: SIGTERM to the task and to its process group, so that shutdown hooks run.
     * Returns at once.
     */
    default void terminate() {
        terminate(Signal.TERM, false);
    }

    /**
     * Asks politely with {@code signal}: to the task and its process group, or, with
     * {@code wholeTree}, to every process of the task however it hid (systemd's
     * {@code KillMode=control-group}). Returns at once.
     *
     * @return how many processes were sent the signal
     */
    int terminate(int signal, boolean wholeTree);

    /**
     * Kills the task and every process it started, however they hid: SIGKILL to all, then waits
     * until each one is dead and reaps the ones this process adopted.
     *
     * @param deadlineNanos a {@link System#nanoTime()} deadline for the whole kill
     * @return what was killed, and what survived the deadline
     */
    KillReport kill(long deadlineNanos);

    /**
     * True when no process of the task is alive (zombies do not count). Reads /proc only: it
     * needs no native code, so a run whose task left nothing behind never loads any.
     */
    boolean empty();

    /**
     * The task's processes alive now, as far as the mechanism knows them (for a thread dump, say):
     * what its cgroup leaf holds and what its tree holds. A snapshot: they may fork or end at once.
     */
    List<ProcessId> processes();

    /** Releases what the mechanism holds (a cgroup directory). Call after {@link #kill}. */
    void close();
}
