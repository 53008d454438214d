package supervisor.units;

import java.time.Duration;

/**
 * The ranges the library's builders accept ({@code PoolSettings}, {@code TaskRequest}), checked
 * one way with one wording: "retries must be >= 0, not -1". A value out of range is the caller's
 * mistake, so it is an {@link IllegalArgumentException} at once, not a failure at the first call.
 */
public final class Bounds {
    private Bounds() {
    }

    /** {@code n}, if it is 0 or more. */
    public static int atLeastZero(int n, String what) {
        if (n < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, not " + n);
        }
        return n;
    }

    /** {@code n}, if it is 0 or more. */
    public static long atLeastZero(long n, String what) {
        if (n < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, not " + n);
        }
        return n;
    }

    /**
     * The longest duration any setting takes: 1000 days, as on the command line. Longer ones would
     * overflow the nanosecond deadlines every wait is counted on.
     */
    public static final Duration MAX_DURATION = Duration.ofDays(1000);

    /** {@code d}, if it is zero or longer, and at most {@link #MAX_DURATION}. */
    public static Duration atLeastZero(Duration d, String what) {
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must be >= 0, not " + d);
        }
        return atMostMax(d, what);
    }

    private static Duration atMostMax(Duration d, String what) {
        if (d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(what + " must be at most 1000 days, not " + d);
        }
        return d;
    }

    /** {@code n}, if it is 1 or more. */
    public static int positive(int n, String what) {
        if (n <= 0) {
            throw new IllegalArgumentException(what + " must be > 0, not " + n);
        }
        return n;
    }

    /** {@code d}, if it is longer than zero. */
    public static Duration positive(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be > 0, not " + d);
        }
        return atMostMax(d, what);
    }
}
