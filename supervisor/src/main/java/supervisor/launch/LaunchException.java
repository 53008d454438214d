package supervisor.launch;

/**
 * A task could not be started; carries the exit status the command line reports for it, as
 * {@code timeout(1)} and {@code env(1)} do: 125 when the supervisor itself failed, 126 when the
 * task was found but cannot be run, 127 when it was not found. The factories name the status, so
 * a reader never meets a bare 125 or 126.
 */
public final class LaunchException extends Exception {
    private static final long serialVersionUID = 1L;
    /** The supervisor failed: it could not set up, spawn or watch the task. */
    public static final int SUPERVISOR_FAILED = 125;
    /** The task was found but cannot be run (not a jar, no Main-Class, not executable). */
    public static final int CANNOT_RUN = 126;
    /** The task was not found. */
    public static final int NOT_FOUND = 127;
    private final int status;

    public LaunchException(int status, String message) {
        super(message);
        this.status = status;
    }

    public LaunchException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The supervisor failed (125): {@code message} says what it was doing and why. */
    public static LaunchException supervisorFailed(String message) {
        return new LaunchException(SUPERVISOR_FAILED, message);
    }

    /** The supervisor failed (125), because of {@code cause}. */
    public static LaunchException supervisorFailed(String message, Throwable cause) {
        return new LaunchException(SUPERVISOR_FAILED, message, cause);
    }

    /** The task was found but cannot be run (126). */
    public static LaunchException cannotRun(String message) {
        return new LaunchException(CANNOT_RUN, message);
    }

    /** The task was found but cannot be run (126), because of {@code cause}. */
    public static LaunchException cannotRun(String message, Throwable cause) {
        return new LaunchException(CANNOT_RUN, message, cause);
    }

    /** 125 (the supervisor failed), 126 (cannot run the jar) or 127 (no such jar). */
    public int status() {
        return status;
    }
}
