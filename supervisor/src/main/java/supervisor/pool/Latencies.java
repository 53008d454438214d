package supervisor.pool;

import java.util.Arrays;

/**
 * The most recent call latencies, for percentiles: a ring of 8192, 64 KiB whatever the pool's
 * life. Thread-safe. Percentiles are computed again only when a latency was recorded since the
 * last time (a monitoring tool polls four of them at a time).
 */
final class Latencies {
    private final long[] ring = new long[8192];
    private long count;
    private long computedAt = -1;
    private double[] computed;

    synchronized void record(long nanos) {
        ring[(int) (count++ % ring.length)] = nanos;
    }

    /** p50, p90, p99 and max in milliseconds; zeros when nothing was recorded. */
    synchronized double[] percentiles() {
        if (computedAt != count) {
            computed = compute();
            computedAt = count;
        }
        return computed.clone();
    }

    private double[] compute() {
        int n = (int) Math.min(count, ring.length);
        if (n == 0) {
            return new double[4];
        }
        long[] sorted = Arrays.copyOf(ring, n);
        Arrays.sort(sorted);
        return new double[] {at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), sorted[n - 1] / 1e6};
    }

    private static double at(long[] sorted, double q) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1e6;
    }
}
