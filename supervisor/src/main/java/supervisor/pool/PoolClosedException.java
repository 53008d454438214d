package supervisor.pool;

/** The pool was closed before the call could run. */
public final class PoolClosedException extends PoolException {
    private static final long serialVersionUID = 1L;

    PoolClosedException(String message) {
        super(message);
    }
}
