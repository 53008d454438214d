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
    private volatile boolean inFrame;
    private volatile long lastByteAt;

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

    private void arrived(int n) {
        if (n > 0) {
            lastByteAt = System.nanoTime();
            inFrame = true;
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
