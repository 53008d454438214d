package supervisor.pool;

/** The call ran past its timeout. Its worker was sent a cancel, and killed if it did not stop. */
public final class CallTimeoutException extends PoolException {
    private static final long serialVersionUID = 1L;

    CallTimeoutException(String message) {
        super(message);
    }
}
