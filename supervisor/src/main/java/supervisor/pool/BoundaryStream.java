package supervisor.pool;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The worker's protocol output, telling whether its reader is inside a frame and since when no
 * byte has arrived, so that a worker that stops in the middle of a frame (or starts one while
 * idle and never finishes it) is noticed by the slot, which never blocks on the stream itself.
 */
final class BoundaryStream extends FilterInputStream {
    /** Below this rate a frame that has taken longer than the stall limit is stuck (heartbeats trickling into a bogus frame). */
    static final long MIN_BYTES_PER_SECOND = 1 << 20;

    private volatile boolean inFrame;
    private volatile long lastByteAt;
    private volatile long frameStartAt;
    private volatile long bytesInFrame;

    BoundaryStream(InputStream in) {
        super(in);
    }

    /** The reader is between frames. */
    void boundary() {
        inFrame = false;
    }

    /** Nanoseconds since the last byte while inside a frame; 0 between frames. */
    long stalled() {
        return inFrame ? Math.max(1, System.nanoTime() - lastByteAt) : 0;
    }

    /**
     * True when the frame in progress has taken longer than {@code limitNanos} and either no byte
     * came for that long or its bytes come slower than {@link #MIN_BYTES_PER_SECOND}. A worker
     * writes a frame with one write, which a pipe delivers as fast as it is read.
     */
    boolean stuck(long limitNanos) {
        if (!inFrame) {
            return false;
        }
        long now = System.nanoTime();
        long took = now - frameStartAt;
        if (now - lastByteAt > limitNanos) {
            return true;
        }
        return took > limitNanos && bytesInFrame < (took / 1_000_000L) * (MIN_BYTES_PER_SECOND / 1000);
    }

    private void arrived(int n) {
        if (n > 0) {
            long now = System.nanoTime();
            lastByteAt = now;
            if (!inFrame) {
                frameStartAt = now;
                bytesInFrame = 0;
                inFrame = true;
            }
            bytesInFrame += n; // one reader thread writes it
        }
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        arrived(b < 0 ? 0 : 1);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        arrived(n);
        return n;
    }
}
