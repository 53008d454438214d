package supervisor.worker.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads frames from a stream, refusing anything that is not a well-formed frame of protocol
 * version 1 no longer than the maximum length.
 *
 * <p>Not thread-safe: one thread reads. The stream is not buffered here; wrap a raw pipe in a
 * {@link java.io.BufferedInputStream}. After a {@link ProtocolException} the stream position is
 * undefined and the reader must not be used again.
 */
public final class FrameReader {
    // Payloads are read in growing steps from this size, so a length field that promises more
    // bytes than ever arrive costs memory in proportion to what did arrive, not to the promise.
    private static final int FIRST_CHUNK = 64 * 1024;

    /**
     * Decides from a frame's header alone whether its payload may be read: a reader that knows
     * which frames it can take now (the supervisor: an answer only for the call running) refuses
     * the others before a byte of their payload is read or allocated.
     */
    @FunctionalInterface
    public interface HeaderCheck {
        /** Null to read the payload; otherwise why the frame is refused (a {@link ProtocolException}). */
        String problem(FrameType type, long callId, int payloadLength);
    }

    private static final HeaderCheck ANY = (type, callId, payloadLength) -> null;

    private final InputStream in;
    private final int maxLength;
    private final HeaderCheck check;

    /**
     * @param in the stream to read, not closed by this class
     * @param maxLength the largest length field accepted, in
     *     {@value Frame#MIN_MAX_LENGTH}..{@value Frame#MAX_MAX_LENGTH}
     */
    public FrameReader(InputStream in, int maxLength) {
        this(in, maxLength, ANY);
    }

    /**
     * @param check asked about each well-formed header before its payload is read; a problem it
     *     names is thrown as a {@link ProtocolException}, the payload left unread
     */
    public FrameReader(InputStream in, int maxLength, HeaderCheck check) {
        this.in = Objects.requireNonNull(in, "in");
        this.maxLength = Frame.checkMaxLength(maxLength);
        this.check = Objects.requireNonNull(check, "check");
    }

    /**
     * Blocks until the next whole frame has arrived.
     *
     * @return the frame, or null if the stream ended cleanly, before the first byte of a frame
     * @throws ProtocolException if the length field is below {@value Frame#HEADER_LENGTH} or above
     *     the maximum (checked before any payload is read or allocated), the type is unknown, the
     *     callId or payload length break the rules of the type, the header check refuses the
     *     header (its payload unread), or the stream ends inside a frame
     * @throws IOException if reading the stream fails
     */
    public Frame read() throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        byte[] lengthBytes = new byte[4];
        lengthBytes[0] = (byte) first;
        readFully(lengthBytes, 1, "length");
        long length = Integer.toUnsignedLong(ByteBuffer.wrap(lengthBytes).getInt());
        if (length < Frame.HEADER_LENGTH) {
            throw new ProtocolException("frame length " + length + " is below the minimum "
                    + Frame.HEADER_LENGTH + " (type and callId)");
        }
        if (length > maxLength) {
            throw new ProtocolException("frame length " + length + " exceeds the maximum " + maxLength);
        }
        byte[] header = new byte[Frame.HEADER_LENGTH];
        readFully(header, 0, "header");
        ByteBuffer headerBuffer = ByteBuffer.wrap(header);
        FrameType type = FrameType.fromCode(Byte.toUnsignedInt(headerBuffer.get()));
        long callId = headerBuffer.getLong();
        int payloadLength = (int) length - Frame.HEADER_LENGTH;
        String problem = type.shapeProblem(callId, payloadLength);
        if (problem == null) {
            problem = check.problem(type, callId, payloadLength);
        }
        if (problem != null) {
            throw new ProtocolException(problem);
        }
        return new Frame(type, callId, readPayload(payloadLength, type));
    }

    private byte[] readPayload(int length, FrameType type) throws IOException {
        byte[] buffer = new byte[Math.min(length, FIRST_CHUNK)];
        int filled = 0;
        while (filled < length) {
            if (filled == buffer.length) {
                buffer = Arrays.copyOf(buffer, (int) Math.min(length, 2L * buffer.length));
            }
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                throw new ProtocolException("stream ended after " + filled + " of " + length
                        + " payload bytes of a " + type + " frame");
            }
            filled += n;
        }
        return buffer;
    }

    private void readFully(byte[] buffer, int from, String part) throws IOException {
        int filled = from;
        while (filled < buffer.length) {
            int n = in.read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                throw new ProtocolException("stream ended after " + filled + " of " + buffer.length
                        + " " + part + " bytes of a frame");
            }
            filled += n;
        }
    }
}
