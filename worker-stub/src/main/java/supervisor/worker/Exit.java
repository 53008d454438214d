package supervisor.worker;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The ways a worker ends, each with its exit status, and the stub's own stderr lines.
 *
 * <p>Only SHUTDOWN uses {@link System#exit}, so the task's shutdown hooks run. Every other end
 * halts: the supervisor is gone or broken, and a task's hook must not keep the worker alive.
 */
final class Exit {
    static final int SHUTDOWN = 0;
    static final int TASK_LOAD_FAILED = 1;
    static final int PROTOCOL_ERROR = 3;
    static final int SUPERVISOR_GONE = 4;

    /** How long a call may take to finish after the supervisor has gone. */
    static final long GRACE_MILLIS = 500;
    /** When the guard halts if the orderly path has not: still well within the promised second. */
    private static final long GUARD_MILLIS = GRACE_MILLIS + 250;

    // fd 2 itself, not System.err: a task may replace System.err.
    private static final PrintStream STDERR =
            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);

    private static final AtomicBoolean GONE = new AtomicBoolean();

    private Exit() {}

    /** Writes one line, prefixed "worker-stub: ", on the worker's stderr. */
    static void log(String line) {
        STDERR.println("worker-stub: " + line);
    }

    static void shutdown() {
        System.exit(SHUTDOWN);
    }

    static void taskLoadFailed() {
        halt(TASK_LOAD_FAILED);
    }

    static void protocolError(String message) {
        log("protocol error: " + message);
        halt(PROTOCOL_ERROR);
    }

    /**
     * The supervisor has gone (stdin ended, or the protocol output broke): cancels the call in
     * flight, gives it {@value #GRACE_MILLIS} ms, and halts. The worker is gone within
     * {@value #GUARD_MILLIS} ms whatever the task does, because a guard thread halts then even if
     * this thread blocks (writing to a full stderr pipe, say). Status 0 if SHUTDOWN had been
     * received and no call was left running, {@value #SUPERVISOR_GONE} otherwise. Never returns.
     *
     * @param calls the call runner, or null if it has not been started yet
     */
    static void supervisorGone(String why, CallRunner calls) {
        if (!GONE.compareAndSet(false, true)) {
            // Both channels end when the supervisor goes, and each reader says so: the first
            // one halts the worker, within its grace; the other waits for that.
            while (true) {
                LockSupport.park();
            }
        }
        if (calls == null) {
            log(why + "; halting");
            halt(SUPERVISOR_GONE);
        }
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
        long guardDeadline = start + TimeUnit.MILLISECONDS.toNanos(GUARD_MILLIS);
        Thread guard = new Thread(() -> {
            for (long left; (left = guardDeadline - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(left);
            }
            halt(SUPERVISOR_GONE);
        }, "supervisor-gone-guard");
        guard.setDaemon(true);
        guard.start();
        boolean idle = calls.cancelAndAwaitIdle(deadline);
        log(why + (idle ? "; halting" : "; the call in flight ignored its cancellation; halting"));
        halt(idle && calls.shutdownRequested() ? SHUTDOWN : SUPERVISOR_GONE);
    }

    private static void halt(int status) {
        Subreaper.killDescendants();
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }
}
