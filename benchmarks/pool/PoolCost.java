import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import supervisor.pool.PoolSettings;
import supervisor.pool.WorkerPool;

/**
 * Where a synchronous 64-byte call's time goes, per call, through a warm one-worker pool: context
 * switches (voluntary: a thread that parked or blocked, i.e. a hand-off; involuntary: preempted)
 * of the supervisor JVM and of the worker JVM, read from /proc before and after, and the bytes the
 * supervisor JVM allocates (all live threads, com.sun.management.ThreadMXBean). Prints "key value"
 * lines. Run it under `strace -f -c` for the system calls, or with -XX:StartFlightRecording.
 * Usage: PoolCost WORKER_JAR CALLS
 */
public final class PoolCost {
    public static void main(String[] args) throws Exception {
        Path workerJar = Path.of(args[0]);
        int calls = Integer.parseInt(args[1]);
        byte[] small = new byte[64];
        Arrays.fill(small, (byte) 'x');
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (WorkerPool p = WorkerPool.start(PoolSettings.builder(workerJar).workers(1).heartbeat(Duration.ZERO)
                .workerOutput(l -> { }).build())) {
            for (int i = 0; i < Math.max(2000, calls / 5); i++) {
                p.submit(small).join();
            }
            long worker = workerPid();
            long[] sup0 = switches(ProcessHandle.current().pid());
            long[] wrk0 = switches(worker);
            long alloc0 = allocated(threads);
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                p.submit(small).join();
            }
            long t1 = System.nanoTime();
            long alloc1 = allocated(threads);
            long[] sup1 = switches(ProcessHandle.current().pid());
            long[] wrk1 = switches(worker);
            System.out.printf(Locale.ROOT, "mean_roundtrip_us %.1f%n", (t1 - t0) / 1e3 / calls);
            System.out.printf(Locale.ROOT, "supervisor_voluntary_switches_per_call %.2f%n", (sup1[0] - sup0[0]) / (double) calls);
            System.out.printf(Locale.ROOT, "supervisor_involuntary_switches_per_call %.2f%n", (sup1[1] - sup0[1]) / (double) calls);
            System.out.printf(Locale.ROOT, "worker_voluntary_switches_per_call %.2f%n", (wrk1[0] - wrk0[0]) / (double) calls);
            System.out.printf(Locale.ROOT, "worker_involuntary_switches_per_call %.2f%n", (wrk1[1] - wrk0[1]) / (double) calls);
            System.out.printf(Locale.ROOT, "supervisor_bytes_allocated_per_call %.0f%n", (alloc1 - alloc0) / (double) calls);
        }
    }

    private static long allocated(com.sun.management.ThreadMXBean threads) {
        long[] ids = Thread.getAllStackTraces().keySet().stream().mapToLong(Thread::getId).toArray();
        return Arrays.stream(threads.getThreadAllocatedBytes(ids)).filter(b -> b > 0).sum();
    }

    /** The pool's one worker JVM: the descendant running the worker stub. */
    private static long workerPid() {
        List<ProcessHandle> workers = ProcessHandle.current().descendants()
                .filter(h -> h.info().commandLine().orElse("").contains("supervisor.worker.WorkerMain")).toList();
        if (workers.size() != 1) {
            throw new IllegalStateException("expected one worker JVM, found " + workers.size());
        }
        return workers.get(0).pid();
    }

    /** Voluntary and involuntary context switches of all threads of {@code pid}. */
    private static long[] switches(long pid) throws Exception {
        long[] sum = new long[2];
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            sum[0] += Long.parseLong(line.split("\\s+")[1]);
                        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                            sum[1] += Long.parseLong(line.split("\\s+")[1]);
                        }
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // a thread that ended meanwhile
                }
            }
        }
        return sum;
    }
}
