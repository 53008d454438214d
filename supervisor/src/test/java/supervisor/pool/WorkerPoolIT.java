package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Pointer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/**
 * The worker pool with real worker JVMs running {@code tasks.worker.HostileTask}. Every worker
 * and everything it starts carries this test's SUPERVISOR_TEST_ID, so that each test can prove
 * that nothing was left behind.
 */
class WorkerPoolIT {
    static final Path WORKER_JAR = Path.of(System.getProperty("test.tasks.jar", "../test-tasks/target/test-tasks.jar"))
            .toAbsolutePath().getParent().resolve("test-tasks-worker.jar");
    private static final Duration LONG = Duration.ofSeconds(60);

    private final String testId = UUID.randomUUID().toString();
    private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();
    private final List<WorkerPool> pools = new ArrayList<>();

    private WorkerPool pool(int workers, Consumer<PoolSettings.Builder> tune) {
        PoolSettings.Builder b = PoolSettings.builder(WORKER_JAR).workers(workers)
                .environment("SUPERVISOR_TEST_ID", testId)
                .jvmOption("-Xmx64m")
                .jvmOption("-XX:ErrorFile=" + System.getProperty("java.io.tmpdir") + "/hs_err_pid%p.log")
                .workerOutput(output::add);
        tune.accept(b);
        WorkerPool p = WorkerPool.start(b.build());
        pools.add(p);
        return p;
    }

    @AfterEach
    void nothingLeftBehind() {
        pools.forEach(WorkerPool::shutdownNow);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(CompletableFuture<byte[]> f) throws Exception {
        return new String(f.get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    private static Throwable failure(CompletableFuture<byte[]> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void tenThousandCallsThroughFourWorkersEachGetTheirOwnResult() throws Exception {
        WorkerPool p = pool(4, b -> { });
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            futures.add(p.submit(bytes("echo " + i)));
        }
        for (int i = 0; i < futures.size(); i++) {
            assertEquals(Integer.toString(i), text(futures.get(i)));
        }
        PoolStats s = p.stats();
        assertEquals(10_000, s.succeeded());
        assertEquals(4, s.workerStarts(), "no worker was replaced");
    }

    @Test
    void aCallThatIgnoresInterruptsTimesOutAndItsWorkerIsReplaced() throws Exception {
        WorkerPool p = pool(1, b -> b.grace(Duration.ofMillis(300)));
        Throwable t = failure(p.submit(bytes("hang"), Duration.ofMillis(500)));
        assertInstanceOf(CallTimeoutException.class, t);
        assertEquals("after", text(p.submit(bytes("echo after"))), "the pool carries on");
        assertEquals(2, p.stats().workerStarts());
        assertEquals(1, p.stats().timedOut());
    }

    @Test
    void aCooperativeTaskStopsWhenCancelledAndKeepsItsWorker() throws Exception {
        WorkerPool p = pool(1, b -> b.grace(Duration.ofSeconds(10)));
        long start = System.nanoTime();
        assertInstanceOf(CallTimeoutException.class, failure(p.submit(bytes("sleep 60000"), Duration.ofMillis(300))));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "cancelled long before the grace");
        assertEquals("x", text(p.submit(bytes("echo x"))));
        assertEquals(1, p.stats().workerStarts(), "a cooperative worker is kept");
    }

    @Test
    void onlyThePoolCompletesACall() throws Exception {
        WorkerPool p = pool(1, b -> { });
        CallFuture running = p.submit(bytes("sleep 300"));
        CallFutureTest.assertCallerCannotComplete(running);
        assertEquals("slept", text(running), "the worker's result, not the caller's");
        CallFutureTest.assertCallerCannotComplete(running);
        assertEquals("slept", text(running));
        assertEquals(1, p.stats().succeeded());
    }

    @Test
    void cancellingTheFutureStopsTheCall() throws Exception {
        WorkerPool p = pool(1, b -> b.grace(Duration.ofMillis(300)));
        CompletableFuture<byte[]> hanging = p.submit(bytes("hang"));
        Await.until(LONG, "the worker to start the call", () -> p.stats().workerStarts() == 1 && p.stats().queued() == 0);
        assertTrue(hanging.cancel(true));
        assertThrows(CancellationException.class, hanging::join);
        assertEquals("next", text(p.submit(bytes("echo next"))));
        Await.until(LONG, "the hanging worker to be replaced", () -> p.stats().workerStarts() == 2);

        CompletableFuture<byte[]> sleeping = p.submit(bytes("sleep 60000"));
        Await.until(LONG, "the call to start", () -> p.stats().queued() == 0);
        sleeping.cancel(true);
        assertEquals("again", text(p.submit(bytes("echo again"))));
        assertEquals(2, p.stats().workerStarts(), "the cooperative worker was kept");
    }

    /**
     * The control channel's FIFO is made in the worker's temporary directory, which is the task's
     * too: a task that empties it, in its constructor or in a call, must still start, run and be
     * cancelled (the worker opens the FIFO, and removes its name, before any of the task's code runs).
     */
    @Test
    void aTaskThatEmptiesItsTemporaryDirectoryRunsAndIsStillCancelled() throws Exception {
        WorkerPool p = pool(1, b -> b.environment("HOSTILE_EMPTY_TMPDIR", "1").grace(Duration.ofSeconds(30)));
        assertEquals("up", text(p.submit(bytes("echo up"))));
        assertTrue(text(p.submit(bytes("emptytmp"))).startsWith("emptied "));
        CompletableFuture<byte[]> sleeping = p.submit(bytes("sleep 60000"));
        Await.until(LONG, "the call to start", () -> p.stats().queued() == 0);
        assertTrue(sleeping.cancel(true));
        assertEquals("after", text(p.submit(bytes("echo after"))));
        assertEquals(1, p.stats().workerStarts(), "the cancel reached the task, which kept its worker: " + p.stats());
        assertTrue(output.stream().noneMatch(l -> l.contains("protocol error")), String.join("\n", output));
    }

    @Test
    void systemExitInATaskFailsTheCallAndTheOthersCarryOn() throws Exception {
        WorkerPool p = pool(2, b -> { });
        CompletableFuture<byte[]> exit = p.submit(bytes("exit 3"));
        List<CompletableFuture<byte[]>> others = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            others.add(p.submit(bytes("echo " + i)));
        }
        Throwable t = failure(exit);
        assertInstanceOf(WorkerCrashedException.class, t);
        assertTrue(t.getMessage().contains("exited with status 3"), t.getMessage());
        assertEquals(3, ((WorkerCrashedException) t).exitStatus());
        for (int i = 0; i < others.size(); i++) {
            assertEquals(Integer.toString(i), text(others.get(i)));
        }
    }

    @Test
    void aJvmCrashNamesTheCrashLogAndTheLastStderrLines() throws Exception {
        WorkerPool p = pool(1, b -> { });
        assertEquals("printed", text(p.submit(bytes("print before the crash"))));
        Throwable t = failure(p.submit(bytes("crash")));
        assertInstanceOf(WorkerCrashedException.class, t);
        String m = t.getMessage();
        assertTrue(m.contains("SIGABRT") && m.contains("hs_err_pid"), m);
        // The abort follows the real crash, which the crash log names with its frame.
        assertTrue(m.contains("crashed with SIGSEGV in libjvm.so ("), m);
        assertTrue(((WorkerCrashedException) t).crashLog().isPresent(), m);
        assertTrue(m.contains("its last stderr lines: ") && m.contains("Problematic frame"), m);
        assertEquals("alive", text(p.submit(bytes("echo alive"))));
        // A native library's segfault, through JNA: the frame named is the native function's.
        String jna = Path.of(Pointer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Throwable jnaCrash = failure(p.submit(bytes("crash-jna " + jna)));
        assertInstanceOf(WorkerCrashedException.class, jnaCrash);
        String jm = jnaCrash.getMessage();
        assertTrue(jm.contains("crashed with SIGSEGV in ") && jm.contains("Java_com_sun_jna_"), jm);
        ((WorkerCrashedException) jnaCrash).crashLog().ifPresent(log -> {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertEquals("alive", text(p.submit(bytes("echo alive"))));
        Matcher hs = Pattern.compile("(/\\S*hs_err_pid\\d+\\.log)").matcher(m);
        if (hs.find()) {
            Files.deleteIfExists(Path.of(hs.group(1)));
        }
    }

    @Test
    void whatATaskPrintsGoesToStderrPrefixedAndNeverIntoTheProtocol() throws Exception {
        WorkerPool p = pool(1, b -> { });
        for (int i = 0; i < 20; i++) {
            assertEquals("printed", text(p.submit(bytes("print line" + i))));
        }
        Await.until(LONG, "the printed lines on stderr", () -> output.contains("[w1] via fd 1: line19"));
        assertTrue(output.contains("[w1] via System.out: line0"), output.toString());
        assertEquals(1, p.stats().workerStarts());
    }

    @Test
    void aWorkerSendingAnAbsurdFrameIsReplacedAndTheCallFailsWithAProtocolError() throws Exception {
        WorkerPool p = pool(1, b -> { });
        long before = usedHeap();
        Throwable t = failure(p.submit(bytes("garbage")));
        assertInstanceOf(ProtocolErrorException.class, t);
        assertTrue(t.getMessage().contains("exceeds the maximum"), t.getMessage());
        assertTrue(usedHeap() - before < 256L * 1024 * 1024, "nothing near 2 GiB was allocated");
        assertEquals("fine", text(p.submit(bytes("echo fine"))));
        assertEquals(2, p.stats().workerStarts());
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test
    void aTaskThatThrowsFailsWithTheRemoteException() throws Exception {
        WorkerPool p = pool(1, b -> { });
        Throwable t = failure(p.submit(bytes("throw boom")));
        TaskFailedException e = assertInstanceOf(TaskFailedException.class, t);
        assertEquals("java.lang.IllegalStateException", e.remoteClass());
        assertEquals("boom", e.remoteMessage());
        assertTrue(e.remoteStackTrace().contains("tasks.worker.HostileTask.call"), e.remoteStackTrace());
        assertEquals(1, p.stats().workerStarts(), "a throwing task does not cost its worker");
    }

    @Test
    void retriesTryACrashedCallAgain() throws Exception {
        WorkerPool p = pool(1, b -> b.retries(2));
        Throwable t = failure(p.submit(bytes("exit 5")));
        assertInstanceOf(WorkerCrashedException.class, t);
        assertEquals(2, p.stats().retried(), "two retries after the first attempt");
        assertEquals(1, p.stats().crashed(), "the call failed once, at its last attempt");
        assertTrue(p.stats().workerStarts() >= 3, "each attempt had a worker of its own");
    }

    @Test
    void workersAreRecycledAfterMaxCallsAndWhatTheyLeftIsKilled() throws Exception {
        WorkerPool p = pool(1, b -> b.maxCallsPerWorker(3));
        for (int i = 0; i < 9; i++) {
            assertEquals("spawned", text(p.submit(bytes("spawn"))));
        }
        assertTrue(p.stats().workerStarts() >= 3, "recycled every 3 calls: " + p.stats());
        // Each recycled worker's setsid'ed sleeps die with it: only the last worker's may live.
        long sleeps = Procs.withEnv("SUPERVISOR_TEST_ID=" + testId).stream()
                .filter(ps -> Procs.cmdline(ps.pid()).equals("sleep 1000")).count();
        assertTrue(sleeps <= 3, sleeps + " sleeps alive");
    }

    @Test
    void closeLetsRunningCallsFinishThenRefusesNewOnes() throws Exception {
        WorkerPool p = pool(2, b -> { });
        CompletableFuture<byte[]> a = p.submit(bytes("sleep 300"));
        CompletableFuture<byte[]> b = p.submit(bytes("echo queued"));
        p.close();
        assertEquals("slept", text(a));
        assertEquals("queued", text(b));
        assertInstanceOf(PoolClosedException.class, failure(p.submit(bytes("echo late"))));
    }

    @Test
    void shutdownNowStopsAHangingCall() throws Exception {
        WorkerPool p = pool(1, b -> b.grace(Duration.ofMillis(200)));
        CompletableFuture<byte[]> hanging = p.submit(bytes("hang"));
        CompletableFuture<byte[]> queued = p.submit(bytes("echo never"));
        Await.until(LONG, "the call to start", () -> p.stats().queued() == 1);
        long start = System.nanoTime();
        p.shutdownNow();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        assertInstanceOf(PoolClosedException.class, failure(hanging));
        assertInstanceOf(PoolClosedException.class, failure(queued));
    }

    @Test
    void aWorkerJarWithoutTaskClassIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkerPool.start(PoolSettings.builder(WORKER_JAR.resolveSibling("test-tasks.jar")).build()));
        assertTrue(e.getMessage().contains("no Task-Class"), e.getMessage());
    }

    @Test
    void hundredsOfReplacementsLeaveNoThreadFdOrChildProcess() throws Exception {
        WorkerPool warm = pool(2, b -> b.maxCallsPerWorker(1));
        for (int i = 0; i < 4; i++) {
            assertEquals("w", text(warm.submit(bytes("echo w"))));
        }
        warm.close();
        Leftovers before = Leftovers.now();

        WorkerPool p = pool(2, b -> b.maxCallsPerWorker(1).heartbeat(Duration.ZERO));
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            futures.add(p.submit(bytes("echo " + i)));
        }
        for (int i = 0; i < futures.size(); i++) {
            assertEquals(Integer.toString(i), text(futures.get(i)));
        }
        p.close();
        assertTrue(p.stats().workerStarts() >= 200, "workers started: " + p.stats().workerStarts());
        before.assertBackTo(LONG);
    }

    private static long openFds() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    @Test
    void resultsMayBeLarge() throws Exception {
        WorkerPool p = pool(1, b -> { });
        byte[] r = p.submit(bytes("big 5000000")).get(60, TimeUnit.SECONDS);
        assertArrayEquals(new byte[5_000_000], r);
    }
}
