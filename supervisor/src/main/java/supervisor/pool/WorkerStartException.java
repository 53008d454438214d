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
    private final boolean workerRan;

    /** No worker ran: java cannot be started. */
    WorkerStartException(String message, int exitStatus) {
        this(message, exitStatus, false);
    }

    WorkerStartException(String message, int exitStatus, boolean workerRan) {
        super(message);
        this.exitStatus = exitStatus;
        this.workerRan = workerRan;
    }

    /**
     * Whether a worker JVM ran and was not ready: it ended, broke the protocol or did not answer
     * within the startup timeout, as when its task cannot be loaded (a missing class, a
     * constructor that throws or hangs, a static initialiser that exits) or the worker jar or its
     * JVM options cannot be used. False when java could not be started.
     */
    public boolean workerRan() {
        return workerRan;
    }

    /** The exit status of the worker that failed to start, or -1 when it did not end or never ran. */
    public int exitStatus() {
        return exitStatus;
    }
}
