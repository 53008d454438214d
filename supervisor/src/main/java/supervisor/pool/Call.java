package supervisor.pool;

import java.util.concurrent.CompletableFuture;

/**
 * One submitted call: its input, its timeout, the future its caller holds, and, while a worker
 * runs it, that run (so that a cancel can reach the worker).
 */
final class Call {
    final long id;
    final byte[] input;
    final long timeoutNanos;
    final long submittedAt = System.nanoTime();
    final Future future = new Future();
    int attempts;
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

    /**
     * The caller's future. {@code cancel} does what a timeout does: a cancel message to the worker,
     * then, if the call does not stop within the grace, the worker killed.
     */
    final class Future extends CompletableFuture<byte[]> {
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean done = super.cancel(mayInterruptIfRunning);
            Slot.Run r = run();
            if (done && r != null) {
                r.cancelledByCaller();
            }
            return done;
        }
    }
}
