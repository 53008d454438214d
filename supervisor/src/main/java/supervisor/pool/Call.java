package supervisor.pool;

/**
 * One submitted call: its input, its timeout, the future its caller holds, and, while a worker
 * runs it, that run (so that a cancel can reach the worker).
 */
final class Call {
    final long id;
    final byte[] input;
    final long timeoutNanos;
    final long submittedAt = System.nanoTime();
    final CallFuture future = new CallFuture(this);
    int attempts;
    volatile long completedAt;
    private Slot.Run run;

    Call(long id, byte[] input, long timeoutNanos) {
        this.id = id;
        this.input = input;
        this.timeoutNanos = timeoutNanos;
    }

    synchronized void attach(Slot.Run r) {
        this.run = r;
    }

    synchronized Slot.Run run() {
        return run;
    }
}
