import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import supervisor.pool.Isolated;
import supervisor.pool.PoolSettings;
import supervisor.pool.WorkerPool;

/**
 * The caller's own code in a worker against the byte[] call of a worker jar, side by side in one
 * JVM: the round trip of a small lambda, of a proxied method and of a 64-byte byte[] call through
 * a warm one-worker pool (median); the throughput of lambda calls through two workers; the time of
 * one {@code Isolated.call} (a JVM started and stopped). Prints "key value" lines for lambda.sh.
 * Usage: LambdaBench WORKER_JAR ROUNDS CALLS
 */
public final class LambdaBench {
    /** What a wrapped library looks like to its caller. */
    public interface Counter {
        int length(String s);
    }

    public static final class LocalCounter implements Counter {
        @Override
        public int length(String s) {
            return s.length();
        }
    }

    private static final String[] KINDS = {"byte[] call", "lambda", "proxy"};

    public static void main(String[] args) throws Exception {
        Path workerJar = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int calls = Integer.parseInt(args[2]);
        byte[] small = new byte[64];
        String word = "x".repeat(40);

        double bytes;
        double lambda;
        double proxy;
        // Both pools open at once, and the three kinds of call measured in turns of a tenth of the
        // rounds each: a round trip here moves between two levels (about 50 and 100 us, as the
        // threads land on the two CPUs), and measuring one kind after the other would compare levels.
        try (WorkerPool jar = WorkerPool.start(PoolSettings.builder(workerJar).workers(1).heartbeat(Duration.ZERO)
                .workerOutput(l -> { }).build());
                WorkerPool code = WorkerPool.start(PoolSettings.forClassPath().workers(1).heartbeat(Duration.ZERO)
                .workerOutput(l -> { }).build())) {
            Counter c = code.proxy(Counter.class, LocalCounter.class);
            Runnable[] kinds = {
                () -> jar.submit(small).join(),
                () -> code.call(() -> word.length(), Duration.ZERO),
                () -> c.length(word),
            };
            long[][] t = new long[kinds.length][rounds];
            for (Runnable k : kinds) {
                for (int i = 0; i < rounds; i++) { // warm: the worker's JIT as much as the caller's
                    k.run();
                }
            }
            int turn = Math.max(1, rounds / 10);
            for (int from = 0; from < rounds; from += turn) {
                for (int k = 0; k < kinds.length; k++) {
                    for (int i = from; i < Math.min(rounds, from + turn); i++) {
                        long s = System.nanoTime();
                        kinds[k].run();
                        t[k][i] = System.nanoTime() - s;
                    }
                }
            }
            for (int k = 0; k < kinds.length; k++) {
                long[] sorted = t[k].clone();
                Arrays.sort(sorted);
                System.err.printf(Locale.ROOT, "%s:  p10 %.1f p25 %.1f p50 %.1f p75 %.1f p90 %.1f us%n", KINDS[k],
                        sorted[rounds / 10] / 1e3, sorted[rounds / 4] / 1e3, sorted[rounds / 2] / 1e3,
                        sorted[rounds * 3 / 4] / 1e3, sorted[rounds * 9 / 10] / 1e3);
            }
            bytes = median(t[0]);
            lambda = median(t[1]);
            proxy = median(t[2]);
        }
        System.out.printf(Locale.ROOT, "bytes_roundtrip_us %.1f%n", bytes);
        System.out.printf(Locale.ROOT, "lambda_roundtrip_us %.1f%n", lambda);
        System.out.printf(Locale.ROOT, "proxy_roundtrip_us %.1f%n", proxy);

        try (WorkerPool p = WorkerPool.start(PoolSettings.forClassPath().workers(2).queueCapacity(calls)
                .heartbeat(Duration.ZERO).workerOutput(l -> { }).build())) {
            burst(p, word, calls); // warm
            double[] runs = {burst(p, word, calls), burst(p, word, calls), burst(p, word, calls)};
            Arrays.sort(runs);
            System.out.printf(Locale.ROOT, "lambda_throughput_calls_per_s %.0f%n", calls / runs[1]);
        }

        long[] isolated = new long[5];
        for (int i = 0; i < isolated.length; i++) {
            long s = System.nanoTime();
            Isolated.call(() -> word.length(), Duration.ZERO, PoolSettings.forClassPath().jmx(false)
                    .heartbeat(Duration.ZERO).workerOutput(l -> { }));
            isolated[i] = System.nanoTime() - s;
        }
        Arrays.sort(isolated);
        System.out.printf(Locale.ROOT, "isolated_call_ms %.0f%n", isolated[isolated.length / 2] / 1e6);
    }

    private static double burst(WorkerPool p, String word, int calls) {
        long start = System.nanoTime();
        List<CompletionStage<Integer>> stages = new ArrayList<>(calls);
        for (int i = 0; i < calls; i++) {
            stages.add(p.submit(() -> word.length()));
        }
        for (CompletionStage<Integer> s : stages) {
            s.toCompletableFuture().join();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static double median(long[] t) {
        long[] sorted = t.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e3;
    }
}
