package supervisor.worker.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.List;
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
    private ByteArrayOutputStream held; // guarded by this: frames kept for the next write

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
        byte[] encoded = encode(frame);
        synchronized (this) {
            if (held != null) {
                held.write(encoded);
                encoded = held.toByteArray();
                held = null;
            }
            out.write(encoded);
            out.flush();
        }
    }

    /**
     * Keeps a frame to be written with the next write or {@link #flush}, whichever thread makes
     * it: a worker answering a run of short calls writes their answers as one. Frames keep
     * their order with those written meanwhile.
     *
     * @return how many bytes are held now
     * @throws IllegalArgumentException if the frame is longer than the maximum; nothing is held
     */
    public synchronized int hold(Frame frame) {
        byte[] encoded = encode(frame);
        if (held == null) {
            held = new ByteArrayOutputStream(Math.max(256, encoded.length * 8));
        }
        held.writeBytes(encoded);
        return held.size();
    }

    /** Writes the frames held, if any, as one write. */
    public synchronized void flush() throws IOException {
        if (held != null) {
            byte[] encoded = held.toByteArray();
            held = null;
            out.write(encoded);
            out.flush();
        }
    }

    /**
     * Writes several frames, in order, as one write and one flush where the stream buffers them
     * (a pool sends a worker the calls that queued meanwhile so: one system call, not one each).
     *
     * @throws IllegalArgumentException if a frame is longer than the maximum, or all of them are
     *     longer than one array holds; nothing is written
     * @throws IOException as {@link #write(Frame)}
     */
    public void writeAll(List<Frame> frames) throws IOException {
        if (frames.size() == 1) {
            write(frames.get(0));
            return;
        }
        long total = 0;
        for (Frame f : frames) {
            checkLength(f);
            total += 4 + f.length();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(frames.size() + " frames of " + total + " bytes in all do not fit in"
                    + " one write; write them in smaller batches");
        }
        ByteBuffer batch = ByteBuffer.allocate((int) total);
        for (Frame f : frames) {
            put(batch, f);
        }
        synchronized (this) {
            flush();
            out.write(batch.array());
            out.flush();
        }
    }

    private byte[] encode(Frame frame) {
        checkLength(frame);
        return put(ByteBuffer.allocate(4 + (int) frame.length()), frame).array();
    }

    private void checkLength(Frame frame) {
        if (frame.length() > maxLength) {
            throw new IllegalArgumentException(frame + ": frame length " + frame.length()
                    + " exceeds the maximum " + maxLength);
        }
    }

    private static ByteBuffer put(ByteBuffer b, Frame frame) {
        return b.putInt((int) frame.length())
                .put((byte) frame.type().code())
                .putLong(frame.callId())
                .put(frame.payload());
    }
}
