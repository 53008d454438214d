package supervisor.platform;

/** A system call or a read of /proc failed for a reason other than "the process is gone". */
public final class PlatformException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PlatformException(String message) {
        super(message);
    }

    public PlatformException(String message, Throwable cause) {
        super(message, cause);
    }
}
