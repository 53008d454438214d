package supervisor.worker;

/**
 * Stands for an exception of a call of the caller's own code that the caller could not rebuild
 * (its class is off the caller's allow-list), found as the cause or a suppressed exception of one
 * it could: it keeps that exception's class name, message and stack, and its own causes, so that
 * the outer exception arrives as itself, with a readable chain.
 */
public final class RemoteThrowable extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String remoteClass;

    /** Its cause, if any, is given afterwards with initCause. */
    RemoteThrowable(String remoteClass, String message, StackTraceElement[] stack) {
        super(message);
        this.remoteClass = remoteClass;
        setStackTrace(stack);
    }

    /** The fully qualified name of the class of the exception it stands for. */
    public String remoteClass() {
        return remoteClass;
    }

    @Override
    public String toString() {
        String message = getLocalizedMessage();
        return remoteClass + (message != null ? ": " + message : "") + " (a " + RemoteThrowable.class.getSimpleName()
                + ": its class is not on the caller's allow-list)";
    }
}
