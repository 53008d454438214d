package supervisor.limits;

/**
 * What a task's whole tree consumed, and where each number comes from: the kernel's count for the
 * task's cgroup where it has one, else the best the kernel gives without one. A value of -1 (and
 * a null source) means unknown.
 *
 * @param cpuNanos user plus system CPU time of every process of the task
 * @param cpuSource {@link #CPU_CGROUP}, {@link #CPU_RUSAGE} or {@link #CPU_PROC}
 * @param memoryPeakBytes the highest memory use of the tree
 * @param memorySource {@link #MEMORY_PEAK}, {@link #MEMORY_V1} or {@link #MEMORY_RSS}
 */
public record Usage(long cpuNanos, String cpuSource, long memoryPeakBytes, String memorySource) {
    public static final Usage UNKNOWN = new Usage(-1, null, -1, null);

    /** The task's cgroup2 leaf counts the CPU time of every process that was ever in it. */
    public static final String CPU_CGROUP = "cgroup cpu.stat";
    /**
     * The supervisor's reaped children (getrusage RUSAGE_CHILDREN): the task and every process of
     * its tree that was waited for, by the supervisor (a subreaper) or a parent in the tree.
     */
    public static final String CPU_RUSAGE = "rusage children";
    /** The same count from /proc/self/stat (cutime, cstime), in 10 ms ticks, when getrusage is not at hand. */
    public static final String CPU_PROC = "proc children";
    /** cgroup2 {@code memory.peak} of the task's leaf: every page charged to it, page cache included. */
    public static final String MEMORY_PEAK = "cgroup memory.peak";
    /** cgroup v1 {@code memory.max_usage_in_bytes} of the task's memory cgroup, page cache included. */
    public static final String MEMORY_V1 = "cgroup v1 memory.max_usage_in_bytes";
    /**
     * Resident memory without a memory cgroup: the larger of the peak RSS of the largest single
     * process (getrusage) and the tree's summed RSS, sampled every 100 ms. A lower bound.
     */
    public static final String MEMORY_RSS = "process rss";
}
