package supervisor.pool;

/**
 * The stack of a worker's call thread, as a throwable so that it prints as Java users read stacks:
 * the cause of a {@link CallTimeoutException}, printed below it as
 * {@code Caused by: supervisor.pool.WorkerStackTrace: call 8 in worker w1 (pid 4242) when it was stopped}
 * and the worker's frames, top first. Not thrown; carries no stack of this JVM.
 */
final class WorkerStackTrace extends Throwable {
    private static final long serialVersionUID = 1L;

    WorkerStackTrace(String message, StackTraceElement[] frames) {
        super(message, null, false, true);
        setStackTrace(frames);
    }
}
