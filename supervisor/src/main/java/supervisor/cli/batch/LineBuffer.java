package supervisor.cli.batch;

import java.util.ArrayList;

/**
 * The line being read, in chunks of 64 KiB, never more than {@code limit} bytes: past it the
 * bytes are only counted. Lines of other shards are only counted too.
 */
final class LineBuffer {
    /** The size of a chunk of a line, and of a read of the input. */
    static final int CHUNK = 1 << 16;

    private final long limit;
    private final ArrayList<byte[]> full = new ArrayList<>();
    private byte[] current = new byte[0];
    private int used;
    private long length;
    private boolean tooLong;

    LineBuffer(long limit) {
        this.limit = limit;
    }

    /** Counts {@code n} bytes of the line, and keeps them if {@code keep} and the line still fits. */
    void append(byte[] b, int from, int n, boolean keep) {
        if (n == 0) {
            return;
        }
        length += n;
        if (!keep || tooLong) {
            return;
        }
        if (length > limit) {
            tooLong = true;
            full.clear();
            current = new byte[0];
            used = 0;
            return;
        }
        while (n > 0) {
            if (used == current.length) {
                if (used > 0) {
                    full.add(current);
                }
                current = new byte[CHUNK];
                used = 0;
            }
            int k = Math.min(n, current.length - used);
            System.arraycopy(b, from, current, used, k);
            used += k;
            from += k;
            n -= k;
        }
    }

    long length() {
        return length;
    }

    boolean tooLong() {
        return tooLong;
    }

    /** The line's bytes; resets. */
    byte[] take() {
        byte[] all = new byte[Math.toIntExact(length)];
        int at = 0;
        for (byte[] c : full) {
            System.arraycopy(c, 0, all, at, c.length);
            at += c.length;
        }
        System.arraycopy(current, 0, all, at, used);
        reset();
        return all;
    }

    void reset() {
        full.clear();
        if (current.length > CHUNK) {
            current = new byte[0];
        }
        used = 0;
        length = 0;
        tooLong = false;
    }
}
