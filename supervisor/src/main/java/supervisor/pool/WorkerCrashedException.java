package supervisor.pool;

/**
 * The worker JVM running the call died: a crash in native code, {@code System.exit} in the task,
 * the OOM killer, a signal from outside, or it could not start at all. The message says how it
 * ended, names the hs_err file when the JVM wrote one, and quotes the last lines of its stderr.
 */
public final class WorkerCrashedException extends PoolException {
    private static final long serialVersionUID = 1L;
    private final int exitStatus;

    WorkerCrashedException(String message, int exitStatus) {
        super(message);
        this.exitStatus = exitStatus;
    }

    /** The worker's exit status (128+N for signal N), or -1 when it never started. */
    public int exitStatus() {
        return exitStatus;
    }
}
