package supervisor.pool;

/**
 * The task threw. Carries the remote exception's class, message and stack trace as text. A call
 * of the caller's own code ({@link WorkerPool#call}) throws the code's exception itself instead,
 * and this only when that exception cannot be rebuilt in the caller (its class is off the
 * allow-list, or it is not serializable): the message then says why.
 */
public final class TaskFailedException extends PoolException {
    private static final long serialVersionUID = 1L;
    private final String remoteClass;
    private final String remoteMessage;
    private final String remoteStackTrace;

    TaskFailedException(String remoteClass, String remoteMessage, String remoteStackTrace) {
        this(remoteClass, remoteMessage, remoteStackTrace, null);
    }

    /** @param note why the caller sees this and not the exception itself, or null */
    TaskFailedException(String remoteClass, String remoteMessage, String remoteStackTrace, String note) {
        super("task threw " + remoteClass + (remoteMessage == null ? "" : ": " + remoteMessage)
                + (note == null ? "" : " (" + note + ")"));
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
