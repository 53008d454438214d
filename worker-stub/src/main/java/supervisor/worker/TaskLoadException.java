package supervisor.worker;

/** The task class could not be named, found, loaded or instantiated; sent in the FATAL frame. */
final class TaskLoadException extends Exception {
    private static final long serialVersionUID = 1L;

    TaskLoadException(String message) {
        super(message);
    }

    TaskLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
