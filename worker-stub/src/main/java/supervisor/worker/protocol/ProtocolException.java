package supervisor.worker.protocol;

import java.io.IOException;

/**
 * The peer broke the protocol: a frame or payload that is malformed, oversized, truncated, of an
 * unknown type, or not allowed at this point. The stream it came from is unusable afterwards,
 * because the reader can no longer tell where the next frame starts.
 *
 * <p>The message names what was wrong, with the offending value and the limit, e.g.
 * {@code frame length 2147483647 exceeds the maximum 67108864}.
 */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }
}
