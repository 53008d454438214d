import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Event;
import jdk.jfr.Name;
import jdk.jfr.Recording;
import jdk.jfr.StackTrace;
import supervisor.pool.PoolSettings;
import supervisor.pool.WorkerPool;

/**
 * What observing a pool costs a call: the same pools measured in rounds, each round every way in
 * turn (the order rotating): unobserved (no recording; the MBean registered, as by default, but
 * never read), "jfr" (a flight recording with {@code supervisor.PoolCall} enabled) and "jfr_mbean"
 * (that, and a thread reading every attribute of both pools' MBeans every 100 ms, as a monitoring
 * agent would). Throughput of CALLS calls through two workers, and the median round trip of a
 * 64-byte call through one, and the CPU time of this JVM per call of the throughput run (less
 * sensitive than time to the machine's other load); ratios and differences are medians of the
 * per-round pairs. Prints
 * "key value" lines for pool.sh. Usage: ObservabilityBench WORKER_JAR ROUNDS CALLS
 */
public final class ObservabilityBench {
    /** The supervisor JVM's CPU time (all its threads): what watching costs it, whatever else the machine runs. */
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] args) throws Exception {
        Path workerJar = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        int calls = Integer.parseInt(args[2]);
        byte[] payload = new byte[64];
        warmUpTheRecorder();

        // Ways of watching: none; a recording with the call event; that and an MBean poller.
        String[] ways = {"unobserved", "jfr", "jfr_mbean"};
        double[][] throughput = new double[ways.length][rounds];
        double[][] roundTrip = new double[ways.length][rounds];
        double[][] cpu = new double[ways.length][rounds];
        try (WorkerPool two = WorkerPool.start(settings(workerJar, 2, calls).name("bench-two").build());
             WorkerPool one = WorkerPool.start(settings(workerJar, 1, calls).name("bench-one").build())) {
            for (int w = 0; w < ways.length; w++) { // warm the pools and the JIT, every way
                try (Observer o = new Observer(w, two, one)) {
                    throughput(two, payload, calls);
                    roundTrip(one, payload, calls / 10);
                }
            }
            for (int r = 0; r < rounds; r++) {
                // Rotate which goes first, so that a drift in the machine's load hits every way alike.
                for (int k = 0; k < ways.length; k++) {
                    int w = (r + k) % ways.length;
                    try (Observer o = new Observer(w, two, one)) {
                        long cpuBefore = OS.getProcessCpuTime();
                        throughput[w][r] = throughput(two, payload, calls);
                        cpu[w][r] = (OS.getProcessCpuTime() - cpuBefore) / (double) calls;
                        roundTrip[w][r] = roundTrip(one, payload, calls / 10);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "unobserved_calls_per_s %.0f%n", median(throughput[0]));
        System.out.printf(Locale.ROOT, "unobserved_roundtrip_us %.1f%n", median(roundTrip[0]));
        System.out.printf(Locale.ROOT, "unobserved_cpu_ns_per_call %.0f%n", median(cpu[0]));
        for (int w = 1; w < ways.length; w++) {
            double[] ratios = new double[rounds];
            double[] extraNanos = new double[rounds];
            double[] extraCpu = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                extraCpu[r] = cpu[w][r] - cpu[0][r];
                ratios[r] = throughput[w][r] / throughput[0][r];
                extraNanos[r] = (roundTrip[w][r] - roundTrip[0][r]) * 1000;
            }
            System.out.printf(Locale.ROOT, "%s_calls_per_s %.0f%n", ways[w], median(throughput[w]));
            System.out.printf(Locale.ROOT, "%s_throughput_ratio %.3f%n", ways[w], median(ratios));
            System.out.printf(Locale.ROOT, "%s_roundtrip_us %.1f%n", ways[w], median(roundTrip[w]));
            System.out.printf(Locale.ROOT, "%s_extra_roundtrip_ns %.0f%n", ways[w], median(extraNanos));
            System.out.printf(Locale.ROOT, "%s_cpu_ns_per_call %.0f%n", ways[w], median(cpu[w]));
            System.out.printf(Locale.ROOT, "%s_extra_cpu_ns_per_call %.0f%n", ways[w], median(extraCpu));
        }
        System.out.printf(Locale.ROOT, "rounds %d%n", rounds);

        // The event alone, without the pipes' noise: one of the same shape, made, filled and
        // committed as the pool does it, with and without a recording that enables it.
        double[][] eventNanos = new double[2][rounds];
        for (int r = 0; r < 3; r++) { // compiled both ways before it counts
            eventCost(false);
            eventCost(true);
        }
        for (int r = 0; r < rounds; r++) {
            eventNanos[0][r] = eventCost(false);
            eventNanos[1][r] = eventCost(true);
        }
        System.out.printf(Locale.ROOT, "event_ns_no_recording %.1f%n", median(eventNanos[0]));
        System.out.printf(Locale.ROOT, "event_ns_recording %.1f%n", median(eventNanos[1]));
    }

    /** An event shaped as supervisor.PoolCall (package-private there), for {@link #eventCost}. */
    @Name("bench.PoolCallShape")
    @StackTrace(false)
    static final class Shape extends Event {
        String pool;
        long callId;
        String outcome;
        String worker;
        long workerPid;
        int attempts;
        String task;
        long inputBytes;
    }

    private static long sink;

    /** Nanoseconds per call of what the pool does for the event: begin at submit, fill and commit at completion. */
    private static double eventCost(boolean recorded) {
        int n = 200_000;
        Recording recording = recorded ? new Recording() : null;
        if (recording != null) {
            recording.enable("bench.PoolCallShape");
            recording.start();
        }
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            Shape e = new Shape();
            if (!e.isEnabled()) {
                sink += i;
                continue;
            }
            e.begin();
            e.end();
            if (e.shouldCommit()) {
                e.pool = "bench-two";
                e.callId = i;
                e.outcome = "ok";
                e.worker = "w1";
                e.workerPid = 4242;
                e.attempts = 1;
                e.task = "EchoTask";
                e.inputBytes = 64;
                e.commit();
            }
        }
        double nanos = (System.nanoTime() - start) / (double) n;
        if (recording != null) {
            recording.stop();
            recording.close();
        }
        return nanos;
    }

    private static PoolSettings.Builder settings(Path jar, int workers, int calls) {
        return PoolSettings.builder(jar).workers(workers).queueCapacity(calls).heartbeat(Duration.ZERO)
                .workerOutput(l -> { });
    }

    /** The first recording of a JVM starts the recorder's threads and loads its classes: not a call's cost. */
    private static void warmUpTheRecorder() {
        try (Recording r = new Recording()) {
            r.enable("supervisor.PoolCall");
            r.start();
            r.stop();
        }
    }

    /** Calls per second: all submitted at once, then joined. */
    private static double throughput(WorkerPool p, byte[] payload, int calls) {
        long start = System.nanoTime();
        List<CompletableFuture<byte[]>> futures = new ArrayList<>(calls);
        for (int i = 0; i < calls; i++) {
            futures.add(p.submit(payload));
        }
        for (CompletableFuture<byte[]> f : futures) {
            f.join();
        }
        return calls / ((System.nanoTime() - start) / 1e9);
    }

    /** Median microseconds of one call at a time. */
    private static double roundTrip(WorkerPool p, byte[] payload, int rounds) {
        double[] t = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long s = System.nanoTime();
            p.submit(payload).join();
            t[i] = (System.nanoTime() - s) / 1e3;
        }
        return median(t);
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** While open: nothing (way 0), a recording with the pool's event (1), and a poller of the pools' MBeans (2). */
    private static final class Observer implements AutoCloseable {
        private final Recording recording;
        private final Thread poller;

        Observer(int way, WorkerPool... pools) throws Exception {
            recording = way >= 1 ? new Recording() : null;
            if (recording != null) {
                recording.enable("supervisor.PoolCall");
                recording.start();
            }
            poller = way >= 2 ? poller(pools) : null;
        }

        private static Thread poller(WorkerPool... pools) throws Exception {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            List<ObjectName> names = new ArrayList<>();
            for (WorkerPool p : pools) {
                names.add(new ObjectName("supervisor:type=WorkerPool,name=" + p.name()));
            }
            String[] attributes = Arrays.stream(server.getMBeanInfo(names.get(0)).getAttributes())
                    .map(a -> a.getName()).toArray(String[]::new);
            Thread t = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        for (ObjectName n : names) {
                            if (server.getAttributes(n, attributes).size() != attributes.length) {
                                throw new IllegalStateException("attributes missing from " + n);
                            }
                        }
                        Thread.sleep(100);
                    }
                } catch (InterruptedException e) {
                    // closed
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "bench-mbean-poller");
            t.start();
            return t;
        }

        @Override
        public void close() throws InterruptedException {
            if (poller != null) {
                poller.interrupt();
                poller.join();
            }
            if (recording != null) {
                recording.stop();
                recording.close();
            }
        }
    }
}
