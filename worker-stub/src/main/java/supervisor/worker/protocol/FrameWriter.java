package supervisor.worker.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Writes frames to a stream, each as one {@code write} of the whole encoded frame followed by a
 * flush.
 *
 * <p>Thread-safe: writes are serialized, so frames from different threads (a worker's heartbeat
 * and its call thread) never interleave. A writer blocked on a full pipe blocks the others.
 */
public final class FrameWriter {
    private final OutputStream out;
    private final int maxLength;

    /**
     * @param out the stream to write, not closed by this class
     * @param maxLength the largest length field allowed, in
     *     {@value Frame#MIN_MAX_LENGTH}..{@value Frame#MAX_MAX_LENGTH}; must not exceed the
     *     maximum of the reader at the other end
     */
    public FrameWriter(OutputStream out, int maxLength) {
        this.out = Objects.requireNonNull(out, "out");
        this.maxLength = Frame.checkMaxLength(maxLength);
    }

    /** The largest payload {@link #write} accepts: the maximum length minus the 9 header bytes. */
    public int maxPayloadLength() {
        return maxLength - Frame.HEADER_LENGTH;
    }

    /**
     * Writes and flushes one frame.
     *
     * @throws IllegalArgumentException if the frame is longer than the maximum; nothing is written
     *     and the writer stays usable
     * @throws IOException if the stream fails (for a pipe: the reader has gone); a frame may then
     *     have been written in part, so the stream is unusable
     */
    public void write(Frame frame) throws IOException {
        if (frame.length() > maxLength) {
            throw new IllegalArgumentException(frame + ": frame length " + frame.length()
                    + " exceeds the maximum " + maxLength);
        }
        byte[] encoded = ByteBuffer.allocate(4 + (int) frame.length())
                .putInt((int) frame.length())
                .put((byte) frame.type().code())
                .putLong(frame.callId())
                .put(frame.payload())
                .array();
        synchronized (this) {
            out.write(encoded);
            out.flush();
        }
    }
}
