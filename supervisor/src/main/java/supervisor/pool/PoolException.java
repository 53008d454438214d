package supervisor.pool;

import supervisor.SupervisorException;

/**
 * Why a call did not return a result. Every submitted call completes exactly once: with its
 * result, or exceptionally with one of the subclasses of this class (or with a
 * {@link java.util.concurrent.CancellationException} when the caller cancelled it).
 */
public abstract class PoolException extends SupervisorException {
    private static final long serialVersionUID = 1L;

    PoolException(String message) {
        super(message);
    }

    PoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
