package supervisor.cli.batch;

/**
 * Bytes held for lines not yet written: their inputs (taken by the reader, which waits when
 * the budget is spent) and their results (added as calls complete, never waiting: a pool
 * thread must not block). A line bigger than the whole budget goes alone.
 */
final class Budget {
    /** Input and result bytes held for lines not yet written, beyond which the reader waits. */
    static final long BYTES = 16L << 20;

    private long held;

    /** Takes {@code n} bytes of input; waits while that would pass the budget (unless nothing is held). */
    synchronized void acquire(long n) throws InterruptedException {
        while (held > 0 && held + n > BYTES) {
            wait();
        }
        held += n;
    }

    /** A result's bytes: counted, never waited for. */
    synchronized void add(long n) {
        held += n;
    }

    /** A line written: its input's and result's bytes are free again. */
    synchronized void release(long n) {
        held -= n;
        notifyAll();
    }
}
