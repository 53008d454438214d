package supervisor.pool;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pool's counters, for {@link WorkerPool#stats()} and the MBean: calls by outcome (each call
 * in exactly one, counted by whoever claims it), retries, refusals, worker starts, and the
 * latencies of the calls that succeeded.
 */
final class PoolCounters {
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong[] outcomes = new AtomicLong[Outcome.values().length];
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private final AtomicLong starts = new AtomicLong();
    private final AtomicLong restarts = new AtomicLong();
    private final AtomicInteger ready = new AtomicInteger();
    private final Latencies latencies = new Latencies();

    PoolCounters() {
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = new AtomicLong();
        }
    }

    void submitted() {
        submitted.incrementAndGet();
    }

    void outcome(Outcome o) {
        outcomes[o.ordinal()].incrementAndGet();
    }

    void retried() {
        retried.incrementAndGet();
    }

    void rejected() {
        rejected.incrementAndGet();
    }

    void workerStarted(boolean replacement) {
        starts.incrementAndGet();
        if (replacement) {
            restarts.incrementAndGet();
        }
    }

    void workerReady(boolean up) {
        if (up) {
            ready.incrementAndGet();
        } else {
            ready.decrementAndGet();
        }
    }

    void succeededIn(long nanos) {
        latencies.record(nanos);
    }

    long submittedCount() {
        return submitted.get();
    }

    long count(Outcome o) {
        return outcomes[o.ordinal()].get();
    }

    long retriedCount() {
        return retried.get();
    }

    long rejectedCount() {
        return rejected.get();
    }

    long workerStarts() {
        return starts.get();
    }

    long workerRestarts() {
        return restarts.get();
    }

    int readyWorkers() {
        return ready.get();
    }

    double[] latencyPercentiles() {
        return latencies.percentiles();
    }
}
