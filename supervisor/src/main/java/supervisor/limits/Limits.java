package supervisor.limits;

/**
 * What a task may use. Zero means no limit.
 *
 * @param memoryBytes the task's memory: a cgroup's memory.max where there is one, else the JVM's
 *     heap, metaspace and direct memory
 * @param cpuNanos CPU time of each process of the task (RLIMIT_CPU)
 * @param maxProcs processes and threads of the task's tree: a cgroup's pids.max where there is
 *     one, else RLIMIT_NPROC (which counts all processes of the user)
 * @param maxOutputBytes the task's stdout plus stderr
 */
public record Limits(long memoryBytes, long cpuNanos, int maxProcs, long maxOutputBytes) {
    public static final Limits NONE = new Limits(0, 0, 0, 0);

    /** Exit status when the task went over its memory limit. */
    public static final int MEMORY_EXCEEDED = 121;
    /** Exit status when the task went over its CPU time limit. */
    public static final int CPU_EXCEEDED = 122;
    /** Exit status when the task went over its output limit. */
    public static final int OUTPUT_EXCEEDED = 123;

    public boolean any() {
        return memoryBytes > 0 || cpuNanos > 0 || maxProcs > 0 || maxOutputBytes > 0;
    }
}
