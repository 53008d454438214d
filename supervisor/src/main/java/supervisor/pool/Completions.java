package supervisor.pool;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Completes futures off the pool's threads, on an executor (see
 * {@link PoolSettings.Builder#completionExecutor}), in batches: one task of the executor drains
 * the completions queued meanwhile, so that a burst of calls costs one hand-over, not one per
 * call. A completion runs the caller's dependent actions, which may block (wait for other calls,
 * close the pool): {@link #rescue}, every {@link #RESCUE_MILLIS} ms on the pool's timer, starts
 * another drainer when every drainer has been inside one completion for longer than that while
 * completions wait, so a blocked callback delays the others by that much at most and holds none.
 */
final class Completions {
    /** How long a completion may hold its drainer before the others are drained by another. */
    static final long RESCUE_MILLIS = 20;

    private final Executor executor;
    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final Set<Drainer> drainers = ConcurrentHashMap.newKeySet();

    Completions(Executor executor) {
        this.executor = executor;
    }

    /** Runs {@code completion} on the executor; on this thread when the executor refuses it (closed). */
    void execute(Runnable completion) {
        queue.add(completion);
        if (drainers.isEmpty()) {
            startDrainer();
        }
    }

    /** The pool's timer: another drainer if every drainer is held by one completion while others wait. */
    void rescue() {
        if (queue.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (Drainer d : drainers) {
            long since = d.runningSince;
            if (since == 0 || now - since < TimeUnit.MILLISECONDS.toNanos(RESCUE_MILLIS)) {
                return; // one drains
            }
        }
        startDrainer();
    }

    private void startDrainer() {
        Drainer d = new Drainer();
        drainers.add(d);
        try {
            executor.execute(d);
        } catch (RejectedExecutionException e) {
            drainers.remove(d);
            d.run(); // after close: on the caller's thread (a submit, a cancel)
        }
    }

    private final class Drainer implements Runnable {
        volatile long runningSince; // 0: between completions

        @Override
        public void run() {
            try {
                while (true) {
                    Runnable r = queue.poll();
                    if (r == null) {
                        drainers.remove(this);
                        // One added after the poll, by a thread that saw this drainer: take it on.
                        if (queue.isEmpty() || !drainers.isEmpty()) {
                            return;
                        }
                        drainers.add(this);
                        continue;
                    }
                    runningSince = Math.max(1, System.nanoTime());
                    try {
                        r.run();
                    } catch (Throwable t) {
                        // a caller's dependent action threw: CompletableFuture keeps it in its stage
                    } finally {
                        runningSince = 0;
                    }
                }
            } finally {
                drainers.remove(this);
            }
        }
    }
}
