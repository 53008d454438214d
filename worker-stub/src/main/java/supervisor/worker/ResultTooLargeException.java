package supervisor.worker;

/** Reported as the ERROR of a call whose result does not fit in one frame. */
final class ResultTooLargeException extends Exception {
    private static final long serialVersionUID = 1L;

    ResultTooLargeException(String message) {
        super(message);
    }
}
