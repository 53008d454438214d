package supervisor.pool;

/**
 * One submitted call: its input, its timeout, the future its caller holds, and, while a worker
 * runs it, that run (so that a cancel can reach the worker).
 */
final class Call {
    final WorkerPool pool;
    final long id;
    final byte[] input;
    final long timeoutNanos;
    final long submittedAt = System.nanoTime();
    final CallFuture future = new CallFuture(this);
    int attempts; // guarded by this
    volatile long completedAt;
    /** True while the call counts against the queue's capacity: from submit until a worker starts it. */
    boolean holdsRoom; // guarded by the pool's queue discipline: one owner at a time
    private Slot.Run run;
    private boolean claimed; // guarded by this

    /**
     * The right to complete this call, given once: whoever gets it counts the outcome, then
     * completes the future, so that a completed future is always counted already.
     */
    synchronized boolean claim() {
        if (claimed) {
            return false;
        }
        claimed = true;
        return true;
    }

    Call(WorkerPool pool, long id, byte[] input, long timeoutNanos) {
        this.pool = pool;
        this.id = id;
        this.input = input;
        this.timeoutNanos = timeoutNanos;
    }

    synchronized void attach(Slot.Run r) {
        this.run = r;
    }

    /** Detaches {@code r} if it is still the run of this call (a retry may have replaced it). */
    synchronized void detach(Slot.Run r) {
        if (run == r) {
            run = null;
        }
    }

    synchronized Slot.Run run() {
        return run;
    }
}
