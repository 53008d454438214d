import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import supervisor.runner.TaskOutcome;
import supervisor.runner.TaskRequest;
import supervisor.runner.TaskRunner;

/**
 * Budget 7: one supervisor JVM (this one, run with -Xmx128m) supervises 200 concurrent one-shot
 * tasks through the library API. Prints "key value" lines for scale.sh.
 * Usage: ScaleBench TASKS_JAR COUNT
 */
public final class ScaleBench {
    public static void main(String[] args) throws Exception {
        String jar = args[0];
        int count = Integer.parseInt(args[1]);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        int threadsBefore = Thread.activeCount();
        try (TaskRunner runner = TaskRunner.start()) {
            for (String kind : new String[] {"sleep", "jvm"}) {
                long start = System.nanoTime();
                List<CompletableFuture<TaskOutcome>> all = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    List<String> cmd = kind.equals("sleep") ? List.of("sleep", "2")
                            : List.of(javaBin, "-jar", jar, "hang");
                    // The JVM tasks hang: each is stopped at its 8 s timeout (SIGTERM, then SIGKILL).
                    all.add(runner.run(TaskRequest.builder(cmd)
                            .timeout(kind.equals("jvm") ? Duration.ofSeconds(8) : Duration.ZERO)
                            .grace(Duration.ofSeconds(2)).build()));
                }
                int threads = 0;
                int concurrent = 0;
                long heap = 0;
                CompletableFuture<Void> done = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
                while (!done.isDone()) {
                    threads = Math.max(threads, Thread.activeCount());
                    concurrent = Math.max(concurrent, runner.running());
                    heap = Math.max(heap, memory.getHeapMemoryUsage().getUsed());
                    try {
                        done.get(20, TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        // sample again
                    }
                }
                int timedOut = 0;
                for (CompletableFuture<TaskOutcome> f : all) {
                    timedOut += f.get().timedOut() ? 1 : 0;
                }
                System.out.printf(Locale.ROOT, "%s_seconds %.1f%n", kind, (System.nanoTime() - start) / 1e9);
                System.out.printf("%s_most_concurrent %d%n", kind, concurrent);
                System.out.printf("%s_threads_before %d%n", kind, threadsBefore);
                System.out.printf("%s_threads_most %d%n", kind, threads);
                System.out.printf("%s_heap_used_most_mib %d%n", kind, heap >> 20);
                System.out.printf("%s_timed_out %d%n", kind, timedOut);
            }
        }
        System.out.printf("heap_max_mib %d%n", memory.getHeapMemoryUsage().getMax() >> 20);
    }
}
