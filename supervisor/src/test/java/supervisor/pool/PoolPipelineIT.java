package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/**
 * Issue 26: a pipelining pool ({@link PoolSettings.Builder#pipeline}) sends a worker several calls
 * before their answers. Every guarantee of one call at a time holds: each call answered once and
 * right, in order; a call that waited in its worker behind one that hung or crashed never started
 * there, so it runs on the next worker, is not failed and is not counted as an attempt; a call's
 * timeout counts from its start in the worker; a call cancelled while it waits there costs no
 * kill; the quota of calls per worker is exact. Real worker JVMs running
 * {@code tasks.worker.HostileTask}; each test proves nothing is left.
 */
class PoolPipelineIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private final String testId = UUID.randomUUID().toString();
    private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();
    private final List<WorkerPool> pools = new ArrayList<>();

    private WorkerPool pool(int workers, int pipeline) {
        PoolSettings.Builder b = PoolSettings.builder(WorkerPoolIT.WORKER_JAR).workers(workers).pipeline(pipeline)
                .environment("SUPERVISOR_TEST_ID", testId)
                .jvmOption("-Xmx64m").jvmOption("-XX:TieredStopAtLevel=1")
                .grace(Duration.ofMillis(300))
                .workerOutput(output::add);
        WorkerPool p = WorkerPool.start(b.build());
        pools.add(p);
        return p;
    }

    @AfterEach
    void nothingLeftBehind() {
        pools.forEach(WorkerPool::shutdownNow);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
        for (WorkerPool p : pools) {
            PoolStats s = p.stats();
            assertEquals(s.submitted(), s.succeeded() + s.taskFailed() + s.timedOut() + s.crashed()
                    + s.protocolErrors() + s.cancelled(), "every call counted once in one outcome: " + s);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(CompletableFuture<byte[]> f) throws Exception {
        return new String(f.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    private static Throwable failure(CompletableFuture<byte[]> f) {
        return assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS)).getCause();
    }

    @Test
    void pipelinedCallsAreEachAnsweredOnceAndRight() throws Exception {
        WorkerPool p = pool(2, 8);
        List<CallFuture> futures = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            futures.add(p.submit(bytes("echo " + i)));
        }
        for (int i = 0; i < futures.size(); i++) {
            assertEquals(Integer.toString(i), text(futures.get(i)));
            assertEquals(1, futures.get(i).attempts());
        }
        PoolStats s = p.stats();
        assertEquals(3000, s.succeeded(), s.toString());
        assertEquals(2, s.workerStarts(), "no worker was replaced: " + s);
    }

    @Test
    void callsThatWaitedBehindAHungCallRunOnTheNextWorkerNotFailed() throws Exception {
        WorkerPool p = pool(1, 4);
        String first = text(p.submit(bytes("pid")));
        CallFuture hung = p.submit(bytes("hang"), Duration.ofMillis(500)); // ignores the cancel: killed after the grace
        List<CallFuture> behind = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            behind.add(p.submit(bytes("pid")));
        }
        assertInstanceOf(CallTimeoutException.class, failure(hung));
        for (CallFuture f : behind) {
            assertNotEquals(first, text(f), "ran on the worker that was killed");
            assertEquals(1, f.attempts(), "a call that never started is not an attempt");
        }
        assertEquals(Map.of("timeout", 1L), p.restartsByWorker().get(0).reasons());
        assertEquals(4, p.stats().succeeded());
        assertEquals(1, p.stats().timedOut());
    }

    @Test
    void callsThatWaitedBehindACrashRunOnceOnTheNextWorker() throws Exception {
        WorkerPool p = pool(1, 4);
        CallFuture crash = p.submit(bytes("crash"));
        List<CallFuture> behind = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            behind.add(p.submit(bytes("pid")));
        }
        assertInstanceOf(WorkerCrashedException.class, failure(crash));
        String pid = text(behind.get(0));
        for (CallFuture f : behind) {
            assertEquals(pid, text(f), "all on the replacement");
            assertEquals(1, f.attempts());
        }
        PoolStats s = p.stats();
        assertEquals(1, s.crashed(), s.toString());
        assertEquals(3, s.succeeded(), s.toString());
        assertEquals(0, s.retried(), s.toString());
    }

    /**
     * A worker reads stdin only between calls (its call thread reads its CALLs itself), so calls
     * sent behind one that runs for longer than a write's deadline must fit in its pipe: 30 KiB
     * calls behind a 4 s call, with a pipeline of 8, are sent no more than 60 KiB at a time. Sent
     * all at once they would block the sender, and the worker would be killed for "not reading".
     */
    @Test
    void callsBehindALongCallNeverOverfillTheWorkersPipe() throws Exception {
        WorkerPool p = pool(1, 8);
        String large = "x".repeat(30 * 1024);
        CallFuture slow = p.submit(bytes("sleep 4000"));
        List<CallFuture> behind = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            behind.add(p.submit(bytes("echo " + i + large)));
        }
        assertEquals("slept", text(slow));
        for (int i = 0; i < behind.size(); i++) {
            assertEquals(i + large, text(behind.get(i)));
        }
        PoolStats s = p.stats();
        assertEquals(8, s.succeeded(), s.toString());
        assertEquals(1, s.workerStarts(), "no worker was replaced: " + s + "; " + output);
    }

    @Test
    void aCallsTimeoutCountsFromItsStartInItsWorker() throws Exception {
        WorkerPool p = pool(1, 2);
        CallFuture slow = p.submit(bytes("sleep 800"));
        CallFuture quick = p.submit(bytes("echo quick"), Duration.ofMillis(400)); // waits 800 ms there, runs in microseconds
        assertEquals("slept", text(slow));
        assertEquals("quick", text(quick));
        assertEquals(0, p.stats().timedOut());
    }

    @Test
    void cancellingACallThatWaitsInItsWorkerKillsNothing() throws Exception {
        WorkerPool p = pool(1, 3);
        CallFuture running = p.submit(bytes("sleep 700"));
        CallFuture waiting = p.submit(bytes("sleep 60000"));
        long start = System.nanoTime();
        assertTrue(waiting.cancel(true));
        assertThrows(CancellationException.class, waiting::join);
        assertEquals(0, waiting.workerStack().toCompletableFuture().get(5, TimeUnit.SECONDS).length, "it had not started: no stack");
        assertEquals("slept", text(running));
        // The worker runs the cancelled call with its cancel set: it returns at once, and the worker
        // takes the next call without a kill.
        assertEquals("after", text(p.submit(bytes("echo after"))));
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 30_000);
        assertEquals(1, p.stats().workerStarts(), "no worker was killed: " + p.stats());
        assertEquals(1, p.stats().cancelled());
    }

    @Test
    void theQuotaOfCallsPerWorkerIsExactWhenPipelined() throws Exception {
        WorkerPool p = WorkerPool.start(PoolSettings.builder(WorkerPoolIT.WORKER_JAR).workers(1).pipeline(8)
                .maxCallsPerWorker(5).environment("SUPERVISOR_TEST_ID", testId)
                .jvmOption("-Xmx64m").jvmOption("-XX:TieredStopAtLevel=1").workerOutput(output::add).build());
        pools.add(p);
        List<CallFuture> futures = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            futures.add(p.submit(bytes("pid")));
        }
        List<String> pids = new ArrayList<>();
        for (CallFuture f : futures) {
            pids.add(text(f));
        }
        Map<String, Integer> perWorker = new HashMap<>();
        pids.forEach(pid -> perWorker.merge(pid, 1, Integer::sum));
        assertEquals(3, perWorker.size(), "workers: " + pids);
        for (int i = 0; i < 12; i++) {
            assertEquals(pids.get(i / 5 * 5), pids.get(i), "calls in order, five a worker: " + pids);
        }
        Await.until(LONG, "the third worker", () -> p.stats().workerStarts() == 3);
    }

    @Test
    void aFatalErrorRetiresItsWorkerWhenPipelined() throws Exception {
        // The next call goes to a new JVM. (Attempt.answer also retires the worker before it frees
        // the answered call's place, so that a caller woken by the answer cannot slip a call in
        // between; that window is nanoseconds wide, and this test does not force it.)
        WorkerPool p = pool(1, 4);
        String first = text(p.submit(bytes("pid")));
        TaskFailedException oom = assertInstanceOf(TaskFailedException.class, failure(p.submit(bytes("oom"))));
        assertEquals("java.lang.OutOfMemoryError", oom.remoteClass());
        assertNotEquals(first, text(p.submit(bytes("pid"))));
        assertEquals(Map.of("fatal_error", 1L), p.restartsByWorker().get(0).reasons());
    }

    @Test
    void hundredsOfStopsAtOnceLoseNone() throws Exception {
        // Found by the attack pass: each stop was an event in the slot's bounded queue, so with
        // hundreds of pipelined calls cancelled at once the hung call's own stop could be dropped,
        // and nothing ever killed it.
        WorkerPool p = pool(1, 512);
        CallFuture hung = p.submit(bytes("hang"));
        List<CallFuture> behind = new ArrayList<>();
        for (int i = 0; i < 200; i++) { // under half the pipeline: every one is sent at once (see InFlight)
            behind.add(p.submit(bytes("sleep 100")));
        }
        Await.until(LONG, "every call sent to the worker", () -> p.stats().queued() == 0);
        behind.forEach(f -> f.cancel(true));
        long start = System.nanoTime();
        assertTrue(hung.cancel(true));
        assertEquals("probe", text(p.submit(bytes("echo probe"))));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 30_000, "the hung call's worker was killed after " + millis + " ms");
        assertEquals(Map.of("cancelled", 1L), p.restartsByWorker().get(0).reasons());
        assertEquals(201, p.stats().cancelled());
    }

    @Test
    void largeCallsQueuedBehindABusyWorkerEachRunOnceAndRight() throws Exception {
        // The attack pass found the slot writing every queued call in one buffer, whose size
        // overflowed an int past 2 GiB and left the calls hanging. Large calls now go one at a
        // time to an idle worker (InFlight); this covers that path, not the 2 GiB (out of a
        // test's reach), which FrameWriter.writeAll refuses with an exception of its own.
        WorkerPool p = pool(1, 64);
        CallFuture busy = p.submit(bytes("sleep 500"));
        List<CallFuture> big = new ArrayList<>();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String x = Integer.toString(i).repeat(700_000 + i); // 12 calls of ~0.7 MiB: more than one batch
            sent.add(x);
            big.add(p.submit(bytes("echo " + x)));
        }
        assertEquals("slept", text(busy));
        for (int i = 0; i < big.size(); i++) {
            assertEquals(sent.get(i), text(big.get(i)));
            assertEquals(1, big.get(i).attempts());
        }
        assertEquals(1, p.stats().workerStarts());
    }

    /**
     * The control channel's pipe may be smaller than the 64 KiB its CANCELs are counted against:
     * an unprivileged user past fs.pipe-user-pages-soft gets 8 KiB pipes. Made 4 KiB here (room
     * for 315 CANCELs), a worker stopped while the calls it holds are cancelled is killed and
     * replaced: its slot must not wait, forever, to write CANCELs nobody reads (this JVM holds the
     * FIFO open for reading too, so no write to it ever fails).
     */
    @Test
    void aWorkerThatStopsReadingItsControlChannelIsKilledNotWaitedFor() throws Exception {
        WorkerPool p = pool(1, 1024);
        int pid = Integer.parseInt(text(p.submit(bytes("pid"))));
        ControlPipe.shrink(pid, 4096);
        List<CallFuture> calls = new ArrayList<>();
        calls.add(p.submit(bytes("sleep 60000")));
        Await.until(LONG, "the call to start", () -> p.stats().queued() == 0);
        signal("STOP", pid);
        for (int i = 0; i < 1500; i++) {
            calls.add(p.submit(bytes("sleep 60000")));
        }
        // It is sent more once it holds half a pipeline or less: more than 512 CANCELs, 6.5 KiB, are due.
        Await.until(LONG, "the stopped worker to hold over 512 calls", () -> p.stats().queued() < 1501 - 512);
        calls.forEach(c -> c.cancel(true));
        Await.until(LONG, "the stopped worker to be replaced", () -> p.stats().workerStarts() == 2);
        assertEquals("after", text(p.submit(bytes("echo after"))));
    }

    private static void signal(String name, int pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Integer.toString(pid)).inheritIO().start().waitFor());
    }

    /** Resizes a worker's control channel's pipe from outside (F_SETPIPE_SZ on its /proc/PID/fd link). */
    private static final class ControlPipe {
        static {
            Native.register("c");
        }

        private static final int O_RDONLY = 0;
        private static final int O_NONBLOCK = 0x800;
        private static final int F_SETPIPE_SZ = 1031;

        static native int open(String path, int flags) throws LastErrorException;

        static native int fcntl(int fd, int command, int argument) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;

        static void shrink(int pid, int bytes) throws IOException {
            Path fds = Path.of("/proc/" + pid + "/fd");
            try (Stream<Path> list = Files.list(fds)) {
                for (Path fd : list.collect(Collectors.toList())) {
                    if (Files.readSymbolicLink(fd).toString().contains(ControlFifo.NAME)) {
                        int mine = open(fd.toString(), O_RDONLY | O_NONBLOCK);
                        try {
                            assertEquals(bytes, fcntl(mine, F_SETPIPE_SZ, bytes), "F_SETPIPE_SZ on " + fd);
                        } finally {
                            close(mine);
                        }
                        return;
                    }
                }
            }
            throw new AssertionError("worker " + pid + " holds no " + ControlFifo.NAME + " in " + fds);
        }
    }
}
