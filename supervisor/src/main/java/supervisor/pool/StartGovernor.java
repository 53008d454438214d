package supervisor.pool;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Decides when the pool's slots start workers: {@link WorkerPool#start} waits here for every
 * slot's first start (and fails fast with the first that fails), and later starts go through the
 * restart limit, the {@link StartBreaker}.
 */
final class StartGovernor {
    private final PoolSettings settings;
    private final StartBreaker breaker;
    private final Object lock = new Object();
    private int firstStarts; // guarded by lock: slots whose first start succeeded
    private WorkerStartException firstStartFailure; // guarded by lock

    StartGovernor(PoolSettings settings) {
        this.settings = settings;
        this.breaker = new StartBreaker(settings);
    }

    /** Up, degraded or down; for the MBean and the stats. */
    StartBreaker breaker() {
        return breaker;
    }

    boolean down() {
        return breaker.down();
    }

    boolean failing() {
        return breaker.failing();
    }

    /** Why a call is refused now, or null when the pool is not down. */
    WorkerStartException refusal() {
        return breaker.refusal();
    }

    /** Waits until a slot may start a worker (see {@link StartBreaker#awaitTurn}); false when finished. */
    boolean awaitTurn(BooleanSupplier finished) throws InterruptedException {
        return breaker.awaitTurn(finished);
    }

    /** Close: whoever waits for a turn looks at the pool's phase again. */
    void wake() {
        synchronized (lock) {
            lock.notifyAll();
        }
        breaker.wake();
    }

    /** Until every slot's first start has succeeded; throws the first failure, or at the start-up timeout. */
    void awaitFirstStarts() {
        long end = System.nanoTime() + settings.startupTimeout.toNanos() + TimeUnit.SECONDS.toNanos(10);
        synchronized (lock) {
            while (firstStarts < settings.workers && firstStartFailure == null) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new WorkerStartException("the workers did not start within " + settings.startupTimeout.toMillis()
                            + " ms", -1);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new WorkerStartException("interrupted while the workers started", -1);
                }
            }
            if (firstStartFailure != null) {
                throw firstStartFailure;
            }
        }
    }

    void succeeded(String worker) {
        breaker.succeeded(worker);
        synchronized (lock) {
            firstStarts++;
            lock.notifyAll();
        }
    }

    /**
     * A worker failed to start, or was killed from outside while it started. A slot's first start,
     * while the pool starts, fails the pool's start. Later, the {@link StartBreaker} counts it.
     *
     * @return how many starts failed in a row, for the back-off; -1 if the pool is down now (the
     *     caller fails the calls waiting)
     */
    int failed(boolean first, WorkerStartException why, boolean killedFromOutside, PoolPhase phase) {
        synchronized (lock) {
            if (first && phase == PoolPhase.OPEN && firstStarts < settings.workers && !breaker.down()
                    && firstStartFailure == null) {
                breaker.failed(why, killedFromOutside, true);
                firstStartFailure = why;
                lock.notifyAll();
                return 1;
            }
        }
        return breaker.failed(why, killedFromOutside, phase.atLeast(PoolPhase.ABANDONING));
    }
}
