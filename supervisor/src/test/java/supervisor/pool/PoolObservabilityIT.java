package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Threads;

/**
 * Issue 15, points 2 and 6: a stopped call says where its worker was (the worker's stack, sent in
 * answer to the cancel), and a pool is observable without code, as an MBean and as JFR events.
 * Real worker JVMs running {@code tasks.worker.HostileTask}; each test proves that no process and
 * no pool thread is left.
 */
class PoolObservabilityIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String HOSTILE = "tasks.worker.HostileTask";
    private final String testId = UUID.randomUUID().toString();
    private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();
    private final List<WorkerPool> pools = new ArrayList<>();
    private Set<String> threadsBefore;

    private PoolSettings.Builder settings(int workers) {
        return PoolSettings.builder(WorkerPoolIT.WORKER_JAR).workers(workers)
                .environment("SUPERVISOR_TEST_ID", testId)
                .jvmOption("-Xmx64m").jvmOption("-XX:TieredStopAtLevel=1")
                .workerOutput(output::add);
    }

    private WorkerPool pool(PoolSettings.Builder b) {
        WorkerPool p = WorkerPool.start(b.build());
        pools.add(p);
        return p;
    }

    @BeforeEach
    void poolThreadsBefore() {
        threadsBefore = Threads.named(Threads.POOL);
    }

    @AfterEach
    void nothingLeftBehind() {
        pools.forEach(WorkerPool::shutdownNow);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
        Await.until(Duration.ofSeconds(10), "no pool thread left: " + Threads.named(Threads.POOL),
                () -> threadsBefore.containsAll(Threads.named(Threads.POOL)));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Throwable failure(CompletableFuture<byte[]> f) {
        return assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS)).getCause();
    }

    private static long millisSince(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static StackTraceElement[] stack(CallFuture f) throws Exception {
        return f.workerStack().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static void assertSpinningInDecode(StackTraceElement[] frames) {
        assertTrue(frames.length > 1, Arrays.toString(frames));
        StackTraceElement top = frames[0];
        assertEquals(HOSTILE, top.getClassName(), Arrays.toString(frames));
        assertEquals("spinInDecode", top.getMethodName(), Arrays.toString(frames));
        assertEquals("HostileTask.java", top.getFileName());
        assertTrue(top.getLineNumber() > 0, top.toString());
        assertEquals("call", frames[1].getMethodName(), Arrays.toString(frames));
    }

    @Test
    void aStoppedCallCarriesTheStackOfItsWorkerOrNoneWithinTheBound() throws Exception {
        Duration grace = Duration.ofMillis(400); // the stack wait: min(grace, 500 ms)
        WorkerPool p = pool(settings(1).grace(grace));

        // A call that spins, ignoring cancel and interrupts: the stack of the moment it timed out.
        long start = System.nanoTime();
        CallFuture hung = p.submit(bytes("hang"), Duration.ofMillis(500));
        CallTimeoutException t = assertInstanceOf(CallTimeoutException.class, failure(hung));
        long ms = millisSince(start);
        assertTrue(ms >= 500 && ms < 500 + grace.toMillis() + 600, "completed after " + ms + " ms");
        assertSpinningInDecode(t.workerStack());
        assertTrue(t.getMessage().matches("call \\d+ timed out after 500 ms in worker w1 \\(pid \\d+\\), at "
                + HOSTILE.replace(".", "\\.") + "\\.spinInDecode\\(HostileTask\\.java:\\d+\\)"), t.getMessage());
        assertArrayEquals(t.workerStack(), t.getCause().getStackTrace(), "the cause carries the worker's frames");
        assertArrayEquals(t.workerStack(), stack(hung), "the future says the same");
        StringWriter printed = new StringWriter();
        t.printStackTrace(new PrintWriter(printed));
        assertTrue(printed.toString().matches("(?s).*\nCaused by: supervisor\\.pool\\.WorkerStackTrace: call \\d+ in worker w1"
                + " \\(pid \\d+\\), at the timeout\n\tat " + HOSTILE.replace(".", "\\.")
                + "\\.spinInDecode\\(HostileTask\\.java:\\d+\\)\n\tat .*"), printed.toString());

        // A cancel: the future completes at once as any cancelled future; the stack follows.
        CallFuture cancelled = p.submit(bytes("hang"));
        Await.until(LONG, "the replacement worker to spin", () -> output.contains("[w1.2] hang: spinning in decode"));
        assertTrue(cancelled.cancel(true));
        assertThrows(CancellationException.class, cancelled::join);
        assertSpinningInDecode(stack(cancelled));

        // A frozen worker (SIGSTOP) sends nothing: the timeout completes at the bound, without a stack.
        // (The timeout counts from the call's start on a worker: wait for the cancelled one's replacement.)
        Await.until(LONG, "the third worker", () -> p.stats().workerStarts() == 3 && p.readyWorkers() == 1);
        start = System.nanoTime();
        CallFuture frozen = p.submit(bytes("freeze"), Duration.ofMillis(500));
        CallTimeoutException f = assertInstanceOf(CallTimeoutException.class, failure(frozen));
        ms = millisSince(start);
        assertTrue(ms >= 500 && ms < 500 + grace.toMillis() + 600, "completed after " + ms + " ms");
        assertEquals(0, f.workerStack().length);
        assertNull(f.getCause());
        assertTrue(f.getMessage().matches("call \\d+ timed out after 500 ms in worker w1\\.3 \\(pid \\d+\\)"), f.getMessage());
        assertEquals(0, stack(frozen).length);

        // A call that ends by itself has no stack; the pool carries on.
        CallFuture ok = p.submit(bytes("echo fine"));
        assertEquals("fine", new String(ok.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        assertEquals(0, stack(ok).length);
        assertEquals(4, p.stats().workerStarts(), "each stopped call that ignored its cancel cost its worker");
    }

    @Test
    void theMBeanCountsEveryOutcomeAndGoesWithThePool() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        String name = "observed-" + testId;
        WorkerPool p = pool(settings(2).name(name).grace(Duration.ofSeconds(2)));
        ObjectName on = new ObjectName("supervisor:type=WorkerPool,name=" + name);
        assertEquals(name, p.name());
        assertTrue(server.isRegistered(on), on + " registered");
        Set<String> attributes = Arrays.stream(server.getMBeanInfo(on).getAttributes())
                .map(MBeanAttributeInfo::getName).collect(Collectors.toSet());
        assertTrue(attributes.containsAll(Set.of("Name", "Submitted", "Succeeded", "TaskFailed", "TimedOut", "Crashed",
                "ProtocolErrors", "Cancelled", "Rejected", "WorkerRestarts", "InFlight", "Queued", "WorkersAlive", "LatencyP50Millis",
                "LatencyP90Millis", "LatencyP99Millis", "LatencyMaxMillis")), attributes.toString());

        // A second open pool of the same name takes NAME-2; one without JMX registers nothing.
        WorkerPool twin = pool(settings(1).name(name).jmx(false));
        assertEquals(name, twin.name());
        WorkerPool second = pool(settings(1).name(name));
        ObjectName secondName = new ObjectName("supervisor:type=WorkerPool,name=" + name + "-2");
        assertEquals(name + "-2", second.name());
        assertTrue(server.isRegistered(secondName));
        second.close();
        twin.close();
        assertFalse(server.isRegistered(secondName), "unregistered when closed");

        // Each outcome, one group at a time, so that the counts are exact.
        joinAll(p, 5, i -> "echo " + i, Duration.ZERO);
        joinAll(p, 3, i -> "throw bad " + i, Duration.ZERO);
        joinAll(p, 2, i -> "sleep 20000", Duration.ofMillis(300)); // cooperative: stops at its cancel
        joinAll(p, 2, i -> "exit 3", Duration.ZERO);
        joinAll(p, 1, i -> "garbage", Duration.ZERO);
        List<CallFuture> sleeping = List.of(p.submit(bytes("sleep 20000")), p.submit(bytes("sleep 20000")));
        Await.until(LONG, "both calls to run", () -> intAttribute(server, on, "InFlight") == 2);
        sleeping.forEach(f -> assertTrue(f.cancel(true)));

        Map<String, Long> expected = new HashMap<>(Map.of("Submitted", 15L, "Succeeded", 5L, "TaskFailed", 3L,
                "TimedOut", 2L, "Crashed", 2L, "ProtocolErrors", 1L, "Cancelled", 2L, "WorkerRestarts", 3L,
                "Rejected", 0L));
        Await.until(LONG, "the counts and gauges to settle: " + read(server, on, expected.keySet()), () -> {
            try {
                return read(server, on, expected.keySet()).equals(expected)
                        && intAttribute(server, on, "WorkersAlive") == 2
                        && intAttribute(server, on, "InFlight") == 0 && intAttribute(server, on, "Queued") == 0;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(5L, server.getAttribute(on, "WorkerStarts"));
        assertEquals(name, server.getAttribute(on, "Name"));
        double p50 = (double) server.getAttribute(on, "LatencyP50Millis");
        double p90 = (double) server.getAttribute(on, "LatencyP90Millis");
        double p99 = (double) server.getAttribute(on, "LatencyP99Millis");
        double max = (double) server.getAttribute(on, "LatencyMaxMillis");
        assertTrue(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max && max < LONG.toMillis(),
                "p50 " + p50 + ", p90 " + p90 + ", p99 " + p99 + ", max " + max);

        // Closing: the bean stays while close waits for the call in flight; a call submitted then is rejected.
        CallFuture last = p.submit(bytes("sleep 20000"));
        Await.until(LONG, "the last call to run", () -> last.attempts() == 1);
        Thread closer = new Thread(() -> p.close(Duration.ofSeconds(30)), "closer");
        closer.start();
        List<CallFuture> probes = new ArrayList<>();
        Await.until(LONG, "a call to be refused", () -> {
            CallFuture probe = p.submit(bytes("echo probe"));
            probes.add(probe);
            return probe.isCompletedExceptionally();
        });
        assertInstanceOf(PoolClosedException.class, failure(probes.get(probes.size() - 1)));
        assertEquals(1L, server.getAttribute(on, "Rejected"));
        assertEquals(3L, server.getAttribute(on, "Cancelled"), "a rejected call is also counted in its outcome");
        assertTrue(last.cancel(true));
        closer.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(closer.isAlive(), "close returned");
        assertFalse(server.isRegistered(on), "unregistered when closed");
    }

    private void joinAll(WorkerPool p, int n, IntFunction<String> input, Duration timeout) {
        List<CallFuture> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(p.submit(bytes(input.apply(i)), timeout));
        }
        for (CallFuture f : futures) {
            try {
                f.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException expected) {
                // the outcome is what the MBean must count
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    private static int intAttribute(MBeanServer server, ObjectName on, String name) {
        try {
            return (Integer) server.getAttribute(on, name);
        } catch (Exception e) {
            throw new AssertionError("reading " + name + " of " + on, e);
        }
    }

    private static Map<String, Long> read(MBeanServer server, ObjectName on, Set<String> names) {
        Map<String, Long> values = new HashMap<>();
        for (String n : names) {
            try {
                values.put(n, (Long) server.getAttribute(on, n));
            } catch (Exception e) {
                throw new AssertionError("reading " + n + " of " + on, e);
            }
        }
        return values;
    }

    @Test
    void aFlightRecordingHasOneEventPerCallWithItsOutcomeAndAttempts() throws Exception {
        Path file = Files.createTempFile("supervisor-pool", ".jfr");
        try (Recording recording = new Recording()) {
            recording.enable("supervisor.PoolCall");
            recording.start();
            WorkerPool p = pool(settings(1).jmx(false).retries(1).grace(Duration.ofSeconds(2)));
            Map<Long, String> expected = new HashMap<>();
            Map<Long, Integer> attempts = new HashMap<>();
            for (int i = 0; i < 3; i++) {
                expect(expected, attempts, p.submit(bytes("echo " + i)), "ok", 1);
            }
            expect(expected, attempts, p.submit(bytes("throw bad")), "failed", 1);
            expect(expected, attempts, p.submit(bytes("sleep 20000"), Duration.ofMillis(300)), "timeout", 1);
            expect(expected, attempts, p.submit(bytes("exit 3")), "crashed", 2); // retried once
            CallFuture sleeping = p.submit(bytes("sleep 20000"));
            Await.until(LONG, "the call to run", () -> sleeping.attempts() == 1);
            sleeping.cancel(true);
            expect(expected, attempts, sleeping, "cancelled", 1);
            long workerPid = pids(p);
            assertTrue(ManagementFactory.getPlatformMBeanServer()
                    .queryNames(new ObjectName("supervisor:type=WorkerPool,*"), null).stream()
                    .noneMatch(n -> p.name().equals(n.getKeyProperty("name"))), "jmx(false): no MBean");
            p.close();
            recording.stop();
            recording.dump(file);

            List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("supervisor.PoolCall"))
                    .filter(e -> p.name().equals(e.getString("pool"))).collect(Collectors.toList());
            assertEquals(expected.size(), events.size(), "one event per call: " + events);
            for (RecordedEvent e : events) {
                long id = e.getLong("callId");
                assertEquals(expected.get(id), e.getString("outcome"), e.toString());
                assertEquals((int) attempts.get(id), e.getInt("attempts"), e.toString());
                assertEquals(HOSTILE, e.getString("task"));
                assertTrue(e.getString("worker").matches("w1(\\.\\d+)?"), e.toString());
                assertTrue(e.getLong("workerPid") > 0, e.toString());
                assertTrue(!e.getDuration().isNegative() && e.getDuration().toMillis() < LONG.toMillis(), e.toString());
                if (expected.get(id).equals("timeout")) {
                    assertTrue(e.getDuration().toMillis() >= 300, "a timeout lasts its timeout at least: " + e);
                }
            }
            assertTrue(events.stream().anyMatch(e -> e.getLong("workerPid") == workerPid), "the pid of the live worker");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void expect(Map<Long, String> expected, Map<Long, Integer> attempts, CallFuture f, String outcome,
                               int n) {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the outcome is what the event must say
        }
        long id = expected.size() + 1; // ids count from 1 in submit order, and calls here are submitted one by one
        expected.put(id, outcome);
        attempts.put(id, n);
        assertEquals(n, f.attempts());
    }

    private static long pids(WorkerPool p) {
        List<Integer> pids = p.readyWorkerPids();
        assertEquals(1, pids.size(), pids.toString());
        return pids.get(0);
    }
}
