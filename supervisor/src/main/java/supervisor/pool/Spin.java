package supervisor.pool;

import java.util.function.BooleanSupplier;

/**
 * A short busy wait before a thread of the call path parks. With a CPU of its own, the thread
 * that would wake it answers within microseconds, and a park and an unpark cost more than that
 * (a futex wake, and on a virtual machine an interrupt to wake the idle CPU: tens of
 * microseconds, see docs/performance.md). With one CPU, the other thread cannot run while this
 * one spins, so there is no spinning.
 */
final class Spin {
    /** How long a spin lasts at most: about a round trip with the CPUs free. */
    static final long NANOS = Long.getLong("supervisor.pool.spinNanos", 20_000);
    static final boolean USEFUL = Runtime.getRuntime().availableProcessors() > 1;

    private Spin() {}

    /** Spins until {@code done} or {@link #NANOS} have passed (not at all with one CPU); {@code done}'s last answer. */
    static boolean until(BooleanSupplier done) {
        if (!USEFUL) {
            return done.getAsBoolean();
        }
        long end = System.nanoTime() + NANOS;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - end >= 0) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }
}
