package supervisor.pool;

/** The task threw. Carries the remote exception's class, message and stack trace as text. */
public final class TaskFailedException extends PoolException {
    private static final long serialVersionUID = 1L;
    private final String remoteClass;
    private final String remoteMessage;
    private final String remoteStackTrace;

    TaskFailedException(String remoteClass, String remoteMessage, String remoteStackTrace) {
        super("task threw " + remoteClass + (remoteMessage == null ? "" : ": " + remoteMessage));
        this.remoteClass = remoteClass;
        this.remoteMessage = remoteMessage;
        this.remoteStackTrace = remoteStackTrace;
    }

    /** The fully qualified name of the exception class the task threw. */
    public String remoteClass() {
        return remoteClass;
    }

    /** Its message, or null. */
    public String remoteMessage() {
        return remoteMessage;
    }

    /** Its stack trace, causes included, as the worker's printStackTrace wrote it. */
    public String remoteStackTrace() {
        return remoteStackTrace;
    }
}
