package supervisor.pool;

import java.util.concurrent.CompletableFuture;

/**
 * The future of one call. {@link #cancel} does what a timeout does: a cancel message to the
 * worker, then, if the call does not stop within the grace, the worker is killed and replaced.
 */
public final class CallFuture extends CompletableFuture<byte[]> {
    private final Call call;

    CallFuture(Call call) {
        this.call = call;
    }

    /** How many times the call was started: 1, or more when the pool retried it. */
    public int attempts() {
        synchronized (call) {
            return call.attempts;
        }
    }

    /** Nanoseconds from submit to completion, or -1 while the call is not complete. */
    public long nanos() {
        long done = call.completedAt;
        return done == 0 ? -1 : done - call.submittedAt;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean done = super.cancel(mayInterruptIfRunning);
        Slot.Run r = call.run();
        if (done && r != null) {
            r.cancelledByCaller();
        }
        return done;
    }
}
