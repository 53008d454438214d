package supervisor.process;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import supervisor.limits.LimitEnforcer;
import supervisor.limits.Usage;
import supervisor.log.Log;
import supervisor.platform.Cgroups;
import supervisor.platform.Daemons;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.Posix;
import supervisor.platform.ProcFs;
import supervisor.terminate.CgroupLeaf;

/**
 * What one supervised process consumes: its CPU time (for a verdict on its CPU limit, and for
 * accounting) and its peak memory (accounting). Counted by its cgroup leaf where it has one; else
 * sampled while it runs (its own CPU time, its tree's resident memory) and taken from this JVM's
 * reaped children once it has ended.
 */
final class UsageMeter {
    private static final long CPU_SAMPLE_MILLIS = 200;

    private final ProcessSpec spec;
    private final LimitEnforcer limits;
    private volatile CgroupLeaf leaf; // the process's own, once contained; null: none
    private volatile long lastCpuNanos = -1; // sampled when a CPU limit has no leaf to count it
    private long childrenCpuBefore = -1; // this JVM's reaped children's CPU time before the spawn
    private RssSampler rss; // accounting without a memory cgroup

    UsageMeter(ProcessSpec spec, LimitEnforcer limits) {
        this.spec = spec;
        this.limits = limits;
    }

    /** The cgroup leaf that holds, and so counts, the process's tree. */
    void contained(CgroupLeaf leaf) {
        this.leaf = leaf;
    }

    /** Right before a spawn as this JVM's own child: its reaped children's CPU time so far, for accounting. */
    void beforeSpawn() {
        if (spec.accounting()) {
            childrenCpuBefore = ProcFs.childrenCpuNanos((int) ProcessHandle.current().pid());
        }
    }

    /**
     * The process {@code pid} started: with a CPU limit and no leaf to count it, samples its CPU
     * time until {@code exit} completes.
     */
    void started(int pid, CompletableFuture<?> exit) {
        if (spec.limits().cpuNanos() > 0 && leaf == null) {
            sampleCpuTime(pid, exit);
        }
    }

    /** With accounting and no memory cgroup: samples the resident memory of the leaf's or this JVM's descendants. */
    void sampleMemory() {
        if (spec.accounting() && limits.memoryPeak() == null) {
            rss = new RssSampler(leaf != null ? this::leafPids : UsageMeter::descendants).start();
        }
    }

    /** Stops the memory sampling (the process has ended, or is being released). */
    void stop() {
        if (rss != null) {
            rss.stop();
        }
    }

    /**
     * The CPU time the process used, for a verdict on its CPU limit: its leaf's count where there
     * is one (the whole tree's), else the last sample of its own, taken while it ran.
     */
    long cpuNanos() {
        if (leaf != null) {
            long usec = Cgroups.value(leaf.dir(), "cpu.stat", "usage_usec");
            if (usec >= 0) {
                return usec * 1000;
            }
        }
        return lastCpuNanos;
    }

    private void sampleCpuTime(int pid, CompletableFuture<?> exit) {
        Thread t = Daemons.start(() -> {
            while (!exit.isDone()) {
                long n = ProcFs.cpuNanos(pid);
                if (n >= 0) {
                    lastCpuNanos = n;
                }
                try {
                    exit.get(CPU_SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // sample again
                } catch (Exception e) {
                    return;
                }
            }
        }, "supervisor-cpu-sampler");
    }

    /** See {@link SupervisedProcess#usage()}. */
    Usage usage() {
        long cpu = -1;
        String cpuSource = null;
        if (leaf != null) {
            long usec = Cgroups.value(leaf.dir(), "cpu.stat", "usage_usec");
            if (usec >= 0) {
                cpu = usec * 1000;
                cpuSource = Usage.CPU_CGROUP;
            }
        }
        Usage memory = limits.memoryPeak();
        long sampled = rss == null ? -1 : rss.stop();
        Posix.ChildrenUsage children = null;
        if (cpu < 0 || memory == null) {
            try {
                children = Platform.posix().childrenUsage();
            } catch (PlatformException e) {
                Log.debug("cannot count the " + spec.label() + "'s usage with getrusage: " + e.getMessage());
            }
        }
        if (cpu < 0 && childrenCpuBefore >= 0) {
            if (children != null) {
                cpu = Math.max(0, children.cpuNanos() - childrenCpuBefore);
                cpuSource = Usage.CPU_RUSAGE;
            } else {
                long now = ProcFs.childrenCpuNanos((int) ProcessHandle.current().pid());
                if (now >= 0) {
                    cpu = Math.max(0, now - childrenCpuBefore);
                    cpuSource = Usage.CPU_PROC;
                }
            }
        }
        if (memory != null) {
            return new Usage(cpu, cpuSource, memory.memoryPeakBytes(), memory.memorySource());
        }
        long peak = Math.max(sampled, children == null ? -1 : children.maxRssBytes());
        return new Usage(cpu, cpuSource, peak > 0 ? peak : -1, peak > 0 ? Usage.MEMORY_RSS : null);
    }

    private Collection<Integer> leafPids() {
        try {
            return leaf.pids();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Every descendant of this JVM but the guardian and its own: in {@code supervisor run}, the
     * task and the orphans of its tree, which this JVM adopts as their subreaper.
     */
    private static Collection<Integer> descendants() {
        List<Integer> found = new ArrayList<>();
        ArrayDeque<Integer> next = new ArrayDeque<>(ProcFs.children((int) ProcessHandle.current().pid()));
        while (!next.isEmpty()) {
            int pid = next.pop();
            if (!Guardian.isGuardian(pid)) {
                found.add(pid);
                next.addAll(ProcFs.children(pid));
            }
        }
        return found;
    }
}
