package supervisor.process;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import supervisor.platform.Daemons;
import supervisor.platform.ProcFs;

/**
 * The resident memory of a task's tree, sampled while it runs, for a task that has no memory
 * cgroup to count it. Each sample sums the RSS of the tree's processes and keeps the largest
 * single peak (VmHWM) seen; the result is the highest of those. It misses what a process used
 * between its last sample and its end, so it is a lower bound; {@link SupervisedProcess#usage()}
 * adds the kernel's peak of the largest reaped process.
 */
final class RssSampler {
    static final long PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Supplier<Collection<Integer>> tree;
    private final Thread thread;
    private volatile boolean stopped;
    private volatile long peak = -1;

    /** @param tree the pids of the tree now; may throw or return an empty set once it is gone */
    RssSampler(Supplier<Collection<Integer>> tree) {
        this.tree = tree;
        this.thread = Daemons.unstarted(this::loop, "supervisor-rss-sampler");
    }

    RssSampler start() {
        thread.start();
        return this;
    }

    private void loop() {
        while (!stopped) {
            sample();
            LockSupport.parkNanos(PERIOD_NANOS);
        }
    }

    private void sample() {
        long sum = 0;
        long largest = 0;
        try {
            for (int pid : tree.get()) {
                long[] r = ProcFs.residentBytes(pid);
                if (r != null) {
                    sum += r[0];
                    largest = Math.max(largest, r[1]);
                }
            }
        } catch (RuntimeException e) {
            return; // the tree changed while it was read: the next sample will do
        }
        long seen = Math.max(sum, largest);
        if (seen > peak) {
            peak = seen;
        }
    }

    /** Stops sampling (returns at once); the peak so far, or -1 when no sample saw a process. */
    long stop() {
        stopped = true;
        LockSupport.unpark(thread);
        return peak > 0 ? peak : -1;
    }
}
