package supervisor.pool;

/**
 * Workers could not be started: {@link WorkerPool#start} throws it when a first worker fails to
 * start, and calls fail with it once restarts have failed more often than the restart intensity
 * allows ({@link PoolSettings.Builder#restartIntensity}). The message is the worker's own reason:
 * how it ended and the last lines of its stderr (e.g. {@code Unrecognized VM option ...}).
 */
public final class WorkerStartException extends PoolException {
    private static final long serialVersionUID = 1L;
    private final int exitStatus;

    WorkerStartException(String message, int exitStatus) {
        super(message);
        this.exitStatus = exitStatus;
    }

    /** The exit status of the worker that failed to start, or -1 when it did not end or never ran. */
    public int exitStatus() {
        return exitStatus;
    }
}
