package supervisor.pool;

/**
 * The supervisor's own JVM failed while handling the call, e.g. an {@link OutOfMemoryError} while
 * receiving a result near the frame limit: the call fails with this, its worker is replaced, and
 * the pool carries on. The cause is the error.
 */
public final class SupervisorErrorException extends PoolException {
    private static final long serialVersionUID = 1L;

    SupervisorErrorException(String message, Throwable cause) {
        super(message, cause);
    }
}
