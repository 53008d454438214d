package supervisor.limits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import supervisor.launch.ExitStatus;
import supervisor.log.Log;
import supervisor.platform.Signal;

/**
 * Applies a task's {@link Limits} and, once it has ended, says whether one of them ended it.
 *
 * <p>Before the spawn it chooses the mechanisms: {@code prlimit} (util-linux) in front of the
 * command for RLIMIT_CPU, and RLIMIT_NPROC when no pids cgroup exists; JVM options when no memory
 * cgroup exists. After the spawn it moves the task into its memory and pids cgroups. One per task.
 */
public final class LimitEnforcer {
    private final Limits limits;
    private ControllerGroup memory;
    private ControllerGroup pids;
    private Path oomFlag;
    private boolean jvmMemoryCap;

    public LimitEnforcer(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Prepares the cgroups (before the task starts) and returns the wrapper to put in front of
     * the task's command and the JVM options to add to it.
     *
     * @param v2Leaf the task's cgroup2 leaf, or null
     * @param scratch a private directory for the JVM's out-of-memory flag file
     */
    public Prepared prepare(Path v2Leaf, Path scratch) throws IOException {
        List<String> wrapper = new ArrayList<>();
        List<String> jvmOptions = new ArrayList<>();
        List<String> prlimit = new ArrayList<>();
        if (limits.cpuNanos() > 0) {
            long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(limits.cpuNanos() + 999_999_999));
            // SIGXCPU at the soft limit; the hard limit a little later, SIGKILL, for a task that catches it.
            prlimit.add("--cpu=" + seconds + ":" + (seconds + 2));
        }
        if (limits.maxProcs() > 0) {
            pids = ControllerGroup.create("pids", "pids.max", v2Leaf).orElse(null);
            if (pids != null) {
                pids.write("pids.max", Integer.toString(limits.maxProcs()));
                Log.debug("process limit " + limits.maxProcs() + ": " + pids.where());
            } else {
                prlimit.add("--nproc=" + limits.maxProcs());
                Log.warn("no writable pids cgroup: the process limit is RLIMIT_NPROC, which counts every process"
                        + " and thread of this user, not only the task's" + (isRoot() ? ", and does not bind root" : ""));
            }
        }
        if (limits.memoryBytes() > 0) {
            memory = ControllerGroup.create("memory", "memory.max", v2Leaf).orElse(null);
            if (memory != null) {
                memory.write(memory.where().startsWith("cgroup v1") ? "memory.limit_in_bytes" : "memory.max",
                        Long.toString(limits.memoryBytes()));
                if (Files.exists(memory.dir.resolve("memory.memsw.limit_in_bytes"))) {
                    memory.write("memory.memsw.limit_in_bytes", Long.toString(limits.memoryBytes()));
                }
                if (Files.exists(memory.dir.resolve("memory.swap.max"))) {
                    memory.write("memory.swap.max", "0");
                }
                Log.debug("memory limit " + Sizes.format(limits.memoryBytes()) + ": " + memory.where());
                // The JVM sizes its heap from the limit whether or not it sees the cgroup yet
                // (the task joins it just after it starts), so the same task behaves the same.
                jvmOptions.add("-XX:MaxRAM=" + limits.memoryBytes());
            } else {
                jvmMemoryCap = true;
                long bytes = limits.memoryBytes();
                jvmOptions.add("-Xmx" + bytes);
                jvmOptions.add("-XX:MaxMetaspaceSize=" + Math.max(32L << 20, bytes / 4));
                jvmOptions.add("-XX:MaxDirectMemorySize=" + Math.max(1L << 20, bytes / 4));
                Log.warn("no writable memory cgroup: the memory limit " + Sizes.format(bytes)
                        + " caps the task JVM's heap, metaspace and direct memory only, not native memory");
            }
            // Out of Java heap within the limit is the limit too: the JVM says so, then exits.
            oomFlag = scratch.resolve("out-of-memory");
            jvmOptions.add("-XX:OnOutOfMemoryError=touch " + oomFlag);
            jvmOptions.add("-XX:+ExitOnOutOfMemoryError");
        }
        if (!prlimit.isEmpty()) {
            wrapper.add("prlimit");
            wrapper.addAll(prlimit);
            wrapper.add("--");
        }
        return new Prepared(wrapper, jvmOptions);
    }

    /** What to add to the task's command line. */
    public record Prepared(List<String> wrapper, List<String> jvmOptions) {
    }

    /** Moves the started task into its memory and pids cgroups (v1; a v2 leaf holds it already). */
    public void admit(int pid) {
        for (ControllerGroup g : new ControllerGroup[] {memory, pids}) {
            if (g != null) {
                try {
                    g.admit(pid);
                } catch (IOException e) {
                    Log.warn("cannot move the task into " + g.where() + ": " + e.getMessage());
                }
            }
        }
    }

    /**
     * After the task ended: the exit status a limit imposes, with its message written, or 0 when
     * no limit ended it.
     *
     * @param cpuNanos the task's own CPU time at its end, or -1 if unknown
     */
    public int verdict(ExitStatus status, long cpuNanos) {
        if (memory != null && (memory.count(memory.where().startsWith("cgroup v1") ? "memory.oom_control" : "memory.events",
                "oom_kill") > 0 || oomFlag != null && Files.exists(oomFlag))) {
            Log.error("task killed: memory limit " + Sizes.format(limits.memoryBytes()) + " exceeded");
            return Limits.MEMORY_EXCEEDED;
        }
        if (jvmMemoryCap && Files.exists(oomFlag)) {
            Log.error("task stopped: memory limit " + Sizes.format(limits.memoryBytes())
                    + " exceeded (the limit covers the JVM's heap, metaspace and direct memory)");
            return Limits.MEMORY_EXCEEDED;
        }
        if (limits.cpuNanos() > 0 && (status.likelySignal() == Signal.XCPU
                || status.likelySignal() == Signal.KILL && cpuNanos >= limits.cpuNanos())) {
            Log.error("task killed: CPU time limit " + supervisor.config.Durations.format(limits.cpuNanos()) + " exceeded");
            return Limits.CPU_EXCEEDED;
        }
        return 0;
    }

    /** Says whether the task ran into its process limit (it was contained, not killed for it). */
    public void reportProcesses() {
        if (pids != null) {
            long hits = pids.count("pids.events", "max");
            if (hits > 0) {
                Log.warn("the task reached its process limit " + limits.maxProcs() + " (" + hits
                        + (hits == 1 ? " fork refused)" : " forks refused)"));
            }
        }
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

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
