package supervisor.pool;

import java.time.Duration;

/**
 * The call ran past its timeout. Its future completed at the timeout; the worker was then sent a
 * cancel, and killed and replaced if it did not stop within the grace.
 */
public final class CallTimeoutException extends PoolException {
    private static final long serialVersionUID = 1L;
    private final Duration timeout;

    CallTimeoutException(String message, Duration timeout) {
        super(message);
        this.timeout = timeout;
    }

    /** The timeout the call ran past (counted from the start of its last attempt on a worker). */
    public Duration timeout() {
        return timeout;
    }
}
