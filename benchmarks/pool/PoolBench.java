import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import supervisor.pool.PoolSettings;
import supervisor.pool.WorkerPool;

/**
 * Pool figures, measured side by side in one JVM: the round trip of a 64-byte call through a warm
 * one-worker pool against a raw JDK pipe ping-pong with a child JVM, and the throughput of 100,000
 * calls through two workers, one call at a time per worker (the default) and pipelined
 * ({@link #PIPELINE} calls a worker). Prints "key value" lines for pool.sh.
 * Usage: PoolBench WORKER_JAR CLASSES_DIR ROUNDS CALLS
 */
public final class PoolBench {
    /** The pipeline of the second throughput rows: calls a worker holds before it has answered them. */
    static final int PIPELINE = 32;

    public static void main(String[] args) throws Exception {
        Path workerJar = Path.of(args[0]);
        String classes = args[1];
        int rounds = Integer.parseInt(args[2]);
        int calls = Integer.parseInt(args[3]);
        byte[] small = new byte[64];
        Arrays.fill(small, (byte) 'x');

        double raw = rawPingPong(classes, small, rounds);
        double pool;
        try (WorkerPool p = WorkerPool.start(PoolSettings.builder(workerJar).workers(1).heartbeat(Duration.ZERO)
                .workerOutput(l -> { }).build())) {
            pool = poolRoundTrip(p, small, rounds);
        }
        System.out.printf(Locale.ROOT, "raw_pingpong_us %.1f%n", raw);
        System.out.printf(Locale.ROOT, "pool_roundtrip_us %.1f%n", pool);

        for (int pipeline : new int[] {1, PIPELINE}) {
            for (int size : new int[] {64, 1024}) {
                throughput(workerJar, pipeline, size, calls);
            }
        }
    }

    private static void throughput(Path workerJar, int pipeline, int size, int calls) {
        byte[] payload = new byte[size];
        try (WorkerPool p = WorkerPool.start(PoolSettings.builder(workerJar).workers(2).queueCapacity(calls)
                .pipeline(pipeline).heartbeat(Duration.ZERO).workerOutput(l -> { }).build())) {
            poolRoundTrip(p, payload, 2000); // warm both the pool and the JIT
            burst(p, payload, calls); // and the burst's own paths: the first burst runs half compiled
            double[] runs = {burst(p, payload, calls), burst(p, payload, calls), burst(p, payload, calls)};
            Arrays.sort(runs);
            double seconds = runs[1]; // the median of three
            System.out.printf(Locale.ROOT, "throughput_%d%s_calls_per_s %.0f%n", size,
                    pipeline == 1 ? "" : "_pipelined", calls / seconds);
        }
    }

    /** Seconds to submit {@code calls} calls at once and have every answer. */
    private static double burst(WorkerPool p, byte[] payload, int calls) {
        long start = System.nanoTime();
        List<CompletableFuture<byte[]>> futures = new ArrayList<>(calls);
        for (int i = 0; i < calls; i++) {
            futures.add(p.submit(payload));
        }
        for (CompletableFuture<byte[]> f : futures) {
            f.join();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Median microseconds of a call, after a warm-up of a tenth of the rounds. */
    private static double poolRoundTrip(WorkerPool pool, byte[] payload, int rounds) {
        long[] t = new long[rounds];
        for (int i = 0; i < rounds / 10; i++) {
            pool.submit(payload).join();
        }
        for (int i = 0; i < rounds; i++) {
            long s = System.nanoTime();
            pool.submit(payload).join();
            t[i] = System.nanoTime() - s;
        }
        return median(t);
    }

    private static double rawPingPong(String classes, byte[] payload, int rounds) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", classes, "RawEcho").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(child.getOutputStream(), 65536));
            DataInputStream in = new DataInputStream(new BufferedInputStream(child.getInputStream(), 65536));
            byte[] back = new byte[payload.length];
            long[] t = new long[rounds];
            for (int i = -rounds / 10; i < rounds; i++) {
                long s = System.nanoTime();
                out.writeInt(payload.length);
                out.write(payload);
                out.flush();
                in.readInt();
                in.readFully(back);
                if (i >= 0) {
                    t[i] = System.nanoTime() - s;
                }
            }
            return median(t);
        } finally {
            child.getOutputStream().close();
            child.waitFor();
        }
    }

    private static double median(long[] t) {
        long[] s = t.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e3;
    }
}
