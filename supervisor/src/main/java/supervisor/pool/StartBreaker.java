package supervisor.pool;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import supervisor.log.Log;

/**
 * The pool's circuit breaker for worker starts (resilience4j's open and half-open states). Up,
 * slots start workers when they need one, and a failed start backs off (100 ms doubling to 5 s).
 * Past the restart intensity (more than N starts failed in a row within the period) the pool is
 * down: calls fail fast with the reason and the time it went down, and one slot at a time probes
 * with one start, the first after the probe interval, then at intervals doubling to its maximum.
 * The first start that succeeds brings the pool up again. A worker killed by a signal from outside
 * while it started (the OOM killer's SIGKILL, an operator's kill) did not fail to start: it is
 * counted apart, and not against the intensity.
 *
 * <p>Thread-safe; waits are on this object's monitor, which {@link #wake} (close) notifies.
 */
final class StartBreaker {
    private final PoolSettings settings;
    private final ArrayDeque<Long> failures = new ArrayDeque<>(); // of the failures in a row, within the period
    private WorkerStartException downBecause; // null: not down
    private long downSinceMillis; // wall clock, for messages
    private long nextProbeAt;
    private long probeDelayNanos;
    private boolean probing;
    private long probeStartedAt;
    private long failed;
    private long killed;
    private String lastFailure;

    StartBreaker(PoolSettings settings) {
        this.settings = settings;
    }

    /** True while the pool is down. */
    synchronized boolean down() {
        return downBecause != null;
    }

    /** True while starts fail in a row (none succeeded since): the pool is degraded, or down. */
    synchronized boolean failing() {
        return !failures.isEmpty() || downBecause != null;
    }

    /** Why a call is refused now, or null when the pool is not down. */
    synchronized WorkerStartException refusal() {
        if (downBecause == null) {
            return null;
        }
        long ago = (System.currentTimeMillis() - downSinceMillis) / 1000;
        return new WorkerStartException("the pool is down since " + Instant.ofEpochMilli(downSinceMillis) + " (" + ago
                + " s): its workers cannot start; the last start failed with: " + downBecause.getMessage()
                + "; next start attempt in " + nextProbeMillis() + " ms", downBecause.exitStatus());
    }

    /** Milliseconds until the next probe while down; -1 when not down. */
    synchronized long nextProbeMillis() {
        if (downBecause == null) {
            return -1;
        }
        return probing ? 0 : Math.max(0, TimeUnit.NANOSECONDS.toMillis(nextProbeAt - System.nanoTime()));
    }

    synchronized long failedStarts() {
        return failed;
    }

    synchronized long killedStarts() {
        return killed;
    }

    /** The reason of the last start that failed or was killed; null if none did. */
    synchronized String lastFailure() {
        return lastFailure;
    }

    /** A worker started: the pool is up. */
    synchronized void succeeded(String worker) {
        failures.clear();
        if (downBecause != null) {
            Log.warn("the pool is up again: worker " + worker + " started (down since "
                    + Instant.ofEpochMilli(downSinceMillis) + ")");
            downBecause = null;
            probing = false;
            notifyAll();
        }
    }

    /**
     * A start failed, or the worker was killed from outside while it started.
     *
     * @return how many starts failed in a row (for the back-off while up), or -1 if this failure
     *     took the pool down
     */
    synchronized int failed(WorkerStartException why, boolean killedFromOutside, boolean closing) {
        lastFailure = why.getMessage();
        long now = System.nanoTime();
        if (killedFromOutside) {
            killed++;
        } else {
            failed++;
        }
        if (downBecause != null) {
            // A probe that failed: the next one later, at most the maximum interval.
            probing = false;
            downBecause = why;
            probeDelayNanos = Math.min(settings.probeMax.toNanos(), 2 * probeDelayNanos);
            nextProbeAt = now + probeDelayNanos;
            notifyAll();
            return failures.size();
        }
        if (killedFromOutside) {
            return 1;
        }
        failures.addLast(now);
        while (now - failures.peekFirst() > settings.restartPeriod.toNanos()) {
            failures.removeFirst();
        }
        if (failures.size() <= settings.restartIntensity || closing) {
            return failures.size();
        }
        downBecause = why;
        downSinceMillis = System.currentTimeMillis();
        probeDelayNanos = settings.probeInterval.toNanos();
        nextProbeAt = now + probeDelayNanos;
        Log.error("the pool is down: " + failures.size() + " worker starts failed in a row within "
                + settings.restartPeriod.toSeconds() + " s; calls fail until a worker starts again, tried after "
                + settings.probeInterval.toMillis() + " ms, then at intervals doubling to "
                + settings.probeMax.toMillis() + " ms; the last failure: " + why.getMessage());
        notifyAll();
        return -1;
    }

    /**
     * Waits until a slot may start a worker: at once while the pool is not down; while down, when
     * the next probe is due and no other slot probes. False when {@code finished} (close).
     */
    synchronized boolean awaitTurn(BooleanSupplier finished) throws InterruptedException {
        while (!finished.getAsBoolean()) {
            if (downBecause == null) {
                return true;
            }
            long now = System.nanoTime();
            if (probing && now - probeStartedAt > settings.startupTimeout.toNanos() + TimeUnit.SECONDS.toNanos(15)) {
                probing = false; // its slot failed without a word (a bug): another may probe
            }
            long left = nextProbeAt - now;
            if (!probing && left <= 0) {
                probing = true;
                probeStartedAt = now;
                return true;
            }
            // Bounded, whatever the probe interval: close wakes it, a start that succeeds too.
            wait(probing ? 1000 : Math.max(1, Math.min(1000, TimeUnit.NANOSECONDS.toMillis(left))));
        }
        return false;
    }

    /** Close: waiting slots look at the pool's phase again. */
    synchronized void wake() {
        notifyAll();
    }
}
