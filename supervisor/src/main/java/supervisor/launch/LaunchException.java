package supervisor.launch;

/** A task could not be started; carries the exit status the command line reports for it. */
public final class LaunchException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    public LaunchException(int status, String message) {
        super(message);
        this.status = status;
    }

    public LaunchException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** 125 (the supervisor failed), 126 (cannot run the jar) or 127 (no such jar). */
    public int status() {
        return status;
    }
}
