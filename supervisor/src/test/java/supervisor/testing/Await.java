package supervisor.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition with a deadline; never a bare sleep. Polls with a back-off (1 ms, doubling
 * to 32 ms), so that a condition that scans /proc does not steal the CPU from what a test times.
 */
public final class Await {
    private static final long FIRST_PAUSE_NANOS = 1_000_000;
    private static final long LONGEST_PAUSE_NANOS = 32_000_000;

    private Await() {
    }

    /** Polls until {@code condition} holds; fails with {@code what} otherwise. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        if (!within(timeout, condition)) {
            throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
        }
    }

    /** Like {@link #until} but returns false instead of failing. */
    public static boolean within(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        while (!condition.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left < 0) {
                return false;
            }
            LockSupport.parkNanos(Math.min(pause, left + 1));
            pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS);
        }
        return true;
    }
}
