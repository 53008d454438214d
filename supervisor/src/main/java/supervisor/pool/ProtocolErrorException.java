package supervisor.pool;

/**
 * The worker broke the protocol (a bad frame, an absurd length, a wrong version): it was killed
 * and replaced.
 */
public final class ProtocolErrorException extends PoolException {
    private static final long serialVersionUID = 1L;

    ProtocolErrorException(String message) {
        super(message);
    }
}
