package supervisor.limits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import supervisor.launch.ExitStatus;
import supervisor.log.Log;
import supervisor.platform.Cgroups;
import supervisor.platform.Signal;
import supervisor.units.Durations;
import supervisor.units.Sizes;

/**
 * Applies a task's {@link Limits} and, once it has ended, says whether one of them ended it.
 *
 * <p>Before the spawn it chooses the mechanisms: cgroups where they are writable, RLIMIT_CPU, and
 * RLIMIT_NPROC when no pids cgroup exists, JVM options when no memory cgroup exists. The task
 * joins its cgroups and sets its rlimits itself, between fork and exec (see the spawn script), so
 * nothing it starts is ever outside them. One per task.
 */
public final class LimitEnforcer {
    private final Limits limits;
    private final int helperProcesses;
    private final boolean accounting;
    private ControllerGroup memory;
    private ControllerGroup pids;
    private Path oomFlag;
    private volatile boolean memorySaid; // a verdict told of the memory limit
    private boolean jvmMemoryCap;

    public LimitEnforcer(Limits limits) {
        this(limits, false);
    }

    /**
     * @param accounting also give the task a memory cgroup without a limit where one can be had,
     *     so that its peak memory is counted by the kernel (see {@link #memoryPeak()})
     */
    public LimitEnforcer(Limits limits, boolean accounting) {
        this(limits, accounting, 0);
    }

    /**
     * @param helperProcesses processes of the supervisor's own in the task's cgroup (a sandbox's,
     *     around the task), which the pids cgroup's limit leaves room for: the limit said and
     *     enforced is the task's
     */
    public LimitEnforcer(Limits limits, boolean accounting, int helperProcesses) {
        this.limits = limits;
        this.accounting = accounting;
        this.helperProcesses = helperProcesses;
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Prepares the cgroups (before the task starts) and says what the spawn must do: the cgroup
     * directories the task joins before it execs, the rlimits it sets on itself, the JVM options.
     *
     * @param v2Leaf the task's cgroup2 leaf, or null
     * @param scratch a private directory for the JVM's out-of-memory flag file
     * @param jvm true when the command is a JVM that takes JVM options
     * @param created told each v1 directory's path before it is made (see the guardian)
     */
    public Prepared prepare(Path v2Leaf, Path scratch, boolean jvm, Consumer<Path> created) throws IOException {
        List<Path> join = new ArrayList<>();
        List<String> jvmOptions = new ArrayList<>();
        long cpuSeconds = 0;
        int nproc = 0;
        if (limits.cpuNanos() > 0) {
            // SIGXCPU at the soft limit; the hard limit two seconds later, SIGKILL, for a task that catches it.
            cpuSeconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(limits.cpuNanos() + 999_999_999));
        }
        if (limits.maxProcs() > 0) {
            pids = ControllerGroup.create("pids", "pids.max", v2Leaf, created).orElse(null);
            if (pids != null) {
                pids.write("pids.max", Integer.toString(limits.maxProcs() + helperProcesses));
                if (pids.v1) {
                    join.add(pids.dir);
                }
                Log.debug("process limit " + limits.maxProcs() + ": " + pids.where());
            } else {
                nproc = limits.maxProcs();
                Log.warn("no writable pids cgroup: the process limit is RLIMIT_NPROC, which counts every process"
                        + " and thread of this user, not only the task's" + (isRoot() ? ", and does not bind root" : ""));
            }
        }
        if (limits.memoryBytes() == 0 && accounting) {
            // Counting only: no limit, no JVM option, and no warning where there is no cgroup.
            memory = ControllerGroup.create("memory", "memory.max", v2Leaf, created).orElse(null);
            if (memory != null && memory.v1) {
                join.add(memory.dir);
            }
        }
        if (limits.memoryBytes() > 0) {
            memory = ControllerGroup.create("memory", "memory.max", v2Leaf, created).orElse(null);
            if (memory != null) {
                memory.write(memory.v1 ? "memory.limit_in_bytes" : "memory.max", Long.toString(limits.memoryBytes()));
                if (Files.exists(memory.dir.resolve("memory.memsw.limit_in_bytes"))) {
                    memory.write("memory.memsw.limit_in_bytes", Long.toString(limits.memoryBytes()));
                }
                if (Files.exists(memory.dir.resolve("memory.swap.max"))) {
                    memory.write("memory.swap.max", "0");
                }
                if (memory.v1) {
                    join.add(memory.dir);
                }
                Log.debug("memory limit " + Sizes.format(limits.memoryBytes()) + ": " + memory.where());
                if (jvm && limits.memoryBytes() <= physicalMemory()) {
                    // The JVM sizes its heap from the limit, as it would inside a container. (Not
                    // from a limit above the machine's memory: it would reserve 1/64 of it at once.)
                    jvmOptions.add("-XX:MaxRAM=" + limits.memoryBytes());
                }
            } else if (jvm) {
                jvmMemoryCap = true;
                long bytes = limits.memoryBytes();
                jvmOptions.add("-Xmx" + bytes);
                jvmOptions.add("-XX:MaxMetaspaceSize=" + Math.max(32L << 20, bytes / 4));
                jvmOptions.add("-XX:MaxDirectMemorySize=" + Math.max(1L << 20, bytes / 4));
                Log.warn("no writable memory cgroup: the memory limit " + Sizes.format(bytes)
                        + " caps the task JVM's heap, metaspace and direct memory only, not native memory");
            } else {
                Log.warn("no writable memory cgroup: the memory limit " + Sizes.format(limits.memoryBytes())
                        + " cannot be applied to a command that is not a JVM");
            }
            if (jvm) {
                // Out of Java heap within the limit is the limit too: the JVM says so, then exits.
                oomFlag = scratch.resolve("out-of-memory");
                jvmOptions.add("-XX:OnOutOfMemoryError=touch " + oomFlag);
                jvmOptions.add("-XX:+ExitOnOutOfMemoryError");
            }
        }
        return new Prepared(join, cpuSeconds, nproc, jvmOptions);
    }

    /**
     * What the spawn must do for the limits.
     *
     * @param join v1 cgroup directories the task joins before it execs
     * @param cpuSeconds RLIMIT_CPU soft limit (the hard one is 2 s more), 0 for none
     * @param nproc RLIMIT_NPROC, 0 for none
     * @param jvmOptions options to add last to the JVM's
     */
    public record Prepared(List<Path> join, long cpuSeconds, int nproc, List<String> jvmOptions) {
        public static final Prepared NONE = new Prepared(List.of(), 0, 0, List.of());
    }

    /**
     * What a limit did to an ending: the limit that ended the task, and the message that says so,
     * or {@link #NONE}.
     *
     * @param hit the limit, or null when none ended the task
     * @param message the line to write ({@link LimitEnforcer#report}), or null
     */
    public record Verdict(LimitHit hit, String message) {
        public static final Verdict NONE = new Verdict(null, null);

        /** 121/122 when a limit ended the task, else 0. */
        public int status() {
            return hit == null ? 0 : hit.status();
        }
    }

    /**
     * After the task ended: which limit ended it, if one did; a query, it writes nothing (see
     * {@link #report}). Attributed from facts only: the kernel's OOM-kill count or the JVM's own
     * out-of-memory flag for memory, SIGXCPU or a SIGKILL at the CPU time for CPU.
     *
     * @param cpuNanos the task's own CPU time at its end, or -1 if unknown
     */
    public Verdict verdict(ExitStatus status, long cpuNanos) {
        boolean oomFlagged = oomFlag != null && Files.exists(oomFlag);
        // A memory cgroup for counting only is no limit: an OOM kill in it is the machine's, not ours.
        if (memory != null && limits.memoryBytes() > 0 && (oomFlagged || status.likelySignal() == Signal.KILL
                && memory.count(memory.v1 ? "memory.oom_control" : "memory.events", "oom_kill") > 0)) {
            return new Verdict(LimitHit.MEMORY, "task killed: memory limit " + Sizes.format(limits.memoryBytes()) + " exceeded");
        }
        if (jvmMemoryCap && oomFlagged) {
            return new Verdict(LimitHit.MEMORY, "task stopped: memory limit " + Sizes.format(limits.memoryBytes())
                    + " exceeded (the limit covers the JVM's heap, metaspace and direct memory)");
        }
        if (limits.cpuNanos() > 0 && (status.likelySignal() == Signal.XCPU
                || status.likelySignal() == Signal.KILL && cpuNanos >= limits.cpuNanos())) {
            return new Verdict(LimitHit.CPU, "task killed: CPU time limit " + Durations.format(limits.cpuNanos()) + " exceeded");
        }
        return Verdict.NONE;
    }

    /**
     * Writes what {@code verdict} found, if anything; a memory verdict so written is not told
     * again by {@link #reportMemoryKills}.
     */
    public void report(Verdict verdict) {
        if (verdict.hit() == null) {
            return;
        }
        Log.error(verdict.message());
        if (verdict.hit() == LimitHit.MEMORY) {
            memorySaid = true;
        }
    }

    /**
     * Says whether the memory limit killed processes of the task other than its end: a child the
     * kernel's OOM killer chose while the task itself went on (and perhaps exited 0). The status
     * stays the task's; what happened is said, never left silent. Call once the task has ended.
     *
     * @return how many processes the limit killed that no verdict has told of (0 without a limit)
     */
    public long reportMemoryKills() {
        if (memory == null || limits.memoryBytes() <= 0 || memorySaid) {
            return 0;
        }
        long kills = memory.count(memory.v1 ? "memory.oom_control" : "memory.events", "oom_kill");
        if (kills > 0) {
            Log.warn("the memory limit " + Sizes.format(limits.memoryBytes()) + " killed " + kills
                    + (kills == 1 ? " process" : " processes") + " of the task (the kernel's OOM killer; the task went on)");
        }
        return Math.max(kills, 0);
    }

    /**
     * Says whether the task ran into its process limit (it was contained, not killed for it).
     *
     * @return how many forks the limit refused (0 also when there is no pids cgroup to say)
     */
    public long reportProcesses() {
        if (pids != null) {
            long hits = pids.count("pids.events", "max");
            if (hits > 0) {
                Log.warn("the task reached its process limit " + limits.maxProcs() + " (" + hits
                        + (hits == 1 ? " fork refused)" : " forks refused)"));
            }
            return hits;
        }
        return 0;
    }

    /**
     * The task's peak memory as its memory cgroup counted it, and the file that said so (see
     * {@link Usage#MEMORY_PEAK}, {@link Usage#MEMORY_V1}); null when it has no memory cgroup or
     * the kernel does not keep a peak (cgroup2 before Linux 5.19). Read it before {@link #close()}.
     */
    public Usage memoryPeak() {
        if (memory == null) {
            return null;
        }
        String file = memory.v1 ? "memory.max_usage_in_bytes" : "memory.peak";
        long peak = Cgroups.number(memory.dir, file);
        return peak < 0 ? null : new Usage(-1, null, peak, memory.v1 ? Usage.MEMORY_V1 : Usage.MEMORY_PEAK);
    }

    /** Removes the v1 directories; call once the task's processes are gone. */
    public void close() {
        if (memory != null) {
            memory.remove();
        }
        if (pids != null) {
            pids.remove();
        }
    }

    /** MemTotal from /proc/meminfo, or Long.MAX_VALUE when it cannot be read. */
    private static long physicalMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown: keep the limit
        }
        return Long.MAX_VALUE;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
