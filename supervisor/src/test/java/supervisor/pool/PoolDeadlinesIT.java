package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/**
 * Issues 13 and 17: deadlines on every wait, futures completed at their deadline, start failures
 * with the worker's own reason, restart intensity, exception fields, one outcome per call. Real
 * worker JVMs running {@code tasks.worker.HostileTask}; each test proves nothing is left.
 */
class PoolDeadlinesIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private final String testId = UUID.randomUUID().toString();
    private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();
    private final List<WorkerPool> pools = new ArrayList<>();

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

    @AfterEach
    void nothingLeftBehind() {
        pools.forEach(WorkerPool::shutdownNow);
        Await.until(Duration.ofSeconds(5), "every call counted", () -> pools.stream().allMatch(p -> {
            PoolStats s = p.stats();
            return s.submitted() == s.succeeded() + s.taskFailed() + s.timedOut() + s.crashed() + s.protocolErrors()
                    + s.cancelled();
        }));
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
        for (WorkerPool p : pools) {
            PoolStats s = p.stats();
            long outcomes = s.succeeded() + s.taskFailed() + s.timedOut() + s.crashed() + s.protocolErrors() + s.cancelled();
            assertEquals(s.submitted(), outcomes, "every call counted once in one outcome: " + s);
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

    private static long millisSince(long start) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void getReturnsAtTheResultWhileAnotherThreadsCallbackBlocks() throws Exception {
        // Found by the attack pass: get(2 s) completed the future itself and so ran a callback
        // another thread had registered, which blocked it for 20 s.
        WorkerPool p = pool(settings(1));
        CallFuture f = p.submit(bytes("sleep 300"));
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<String> ranOn = new java.util.concurrent.atomic.AtomicReference<>();
        Thread other = new Thread(() -> f.whenComplete((r, t) -> {
            ranOn.set(Thread.currentThread().getName());
            try {
                release.await(20, TimeUnit.SECONDS); // bounded: run on the caller of get, it fails the test, not hangs it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }), "registers-a-callback");
        other.start();
        other.join();
        long start = System.nanoTime();
        try {
            assertEquals("slept", new String(f.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
            assertTrue(millisSince(start) < 5000, "get returned after " + millisSince(start) + " ms");
            Await.until(LONG, "the callback to run", () -> ranOn.get() != null);
            assertTrue(!ranOn.get().equals(Thread.currentThread().getName()), "the callback ran on the caller of get");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aHungCallCompletesAtItsTimeoutNotAfterTheGrace() throws Exception {
        WorkerPool p = pool(settings(1).grace(Duration.ofSeconds(5)));
        long start = System.nanoTime();
        CallFuture f = p.submit(bytes("hang"), Duration.ofMillis(700));
        CallTimeoutException t = assertInstanceOf(CallTimeoutException.class, failure(f));
        long ms = millisSince(start);
        assertTrue(ms >= 700 && ms < 1500, "completed after " + ms + " ms");
        assertEquals(Duration.ofMillis(700), t.timeout());
        // The worker is killed after the grace, behind the caller's back; the pool carries on.
        assertEquals("after", text(p.submit(bytes("echo after"))));
        assertEquals(2, p.stats().workerStarts());
    }

    @Test
    void aCancelCompletesAtOnceAndTheWorkerIsStoppedAfterwards() throws Exception {
        WorkerPool p = pool(settings(1).grace(Duration.ofSeconds(3)));
        CallFuture f = p.submit(bytes("hang"));
        Await.until(LONG, "the call to start", () -> f.attempts() == 1);
        long start = System.nanoTime();
        assertTrue(f.cancel(true));
        assertThrows(CancellationException.class, f::join);
        assertTrue(millisSince(start) < 100, "cancelled at once");
        assertEquals("next", text(p.submit(bytes("echo next"))));
        assertEquals(1, p.stats().cancelled());
    }

    @Test
    void callsCancelledWhileQueuedAreCountedOnce() throws Exception {
        WorkerPool p = pool(settings(1));
        CallFuture busy = p.submit(bytes("sleep 500"));
        List<CallFuture> queued = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            queued.add(p.submit(bytes("echo " + i)));
        }
        for (int i = 0; i < 50; i += 2) {
            queued.get(i).cancel(true);
        }
        assertEquals("slept", text(busy));
        for (int i = 1; i < 50; i += 2) {
            assertEquals(Integer.toString(i), text(queued.get(i)));
        }
        // A future completes just before its outcome is counted: wait for the counts.
        Await.until(LONG, "the counts: " + p.stats(), () -> p.stats().cancelled() == 25 && p.stats().succeeded() == 26);
        assertEquals(51, p.stats().submitted());
    }

    @Test
    void aPartialFrameFromAnIdleWorkerDoesNotBlockTheSlot() throws Exception {
        WorkerPool p = pool(settings(1));
        assertEquals("partial", text(p.submit(bytes("partial"))));
        // The 13-byte header of a 1 MiB frame follows 200 ms later; the slot notices it within its stall limit.
        long start = System.nanoTime();
        Await.until(LONG, "the worker to be replaced", () -> p.stats().workerStarts() == 2 && p.readyWorkers() == 1);
        assertTrue(millisSince(start) < 8000, "replaced after " + millisSince(start) + " ms");
        assertEquals("answered", text(p.submit(bytes("echo answered"))));
    }

    @Test
    void aWorkerThatStopsMidFrameFailsTheCallWithAProtocolError() throws Exception {
        WorkerPool p = pool(settings(1));
        long start = System.nanoTime();
        Throwable t = failure(p.submit(bytes("midframe"))); // no timeout: the stall limit decides
        assertInstanceOf(ProtocolErrorException.class, t);
        assertTrue(t.getMessage().contains("middle of a frame"), t.getMessage());
        assertTrue(millisSince(start) < 8000, "after " + millisSince(start) + " ms");
        assertEquals("fine", text(p.submit(bytes("echo fine"))));
    }

    @Test
    void aWorkerThatStopsReadingItsStdinIsKilledAndTheWriteFails() throws Exception {
        WorkerPool p = pool(settings(1).grace(Duration.ofMillis(200)));
        assertEquals("stopping", text(p.submit(bytes("stopreading"))));
        Await.until(LONG, "the worker to be stopped (SIGSTOP)", () -> Procs.withEnv("SUPERVISOR_TEST_ID=" + testId)
                .stream().anyMatch(ps -> ps.state() == 'T'));
        long start = System.nanoTime();
        String big = "echo " + "x".repeat(1 << 20); // far more than a pipe holds
        // Its CALL was being written when the worker was killed: it may have been why the worker
        // ended (one whose heap cannot hold it dies reading it), so it counts as an attempt and
        // fails as crashed unless retries allow another: it is never sent again and again.
        WorkerCrashedException e = assertInstanceOf(WorkerCrashedException.class, failure(p.submit(bytes(big))));
        assertTrue(e.getMessage().contains("stopped reading its input"), e.getMessage());
        assertTrue(e.getMessage().contains("was being sent to it"), e.getMessage());
        assertEquals(9, e.signal(), e.getMessage());
        assertTrue(millisSince(start) < 10_000, "after " + millisSince(start) + " ms");
        assertEquals("fine", text(p.submit(bytes("echo fine"))));
        assertEquals(Map.of("stopped_reading", 1L), p.restartsByWorker().get(0).reasons()); // counted as the next starts
    }

    @Test
    void aCallThatKillsEveryWorkerWhileItIsSentIsNotSentForever() throws Exception {
        // Found by the attack pass: a call put back "never started" whenever its worker died while
        // the call was written went round the workers for ever when it was what killed them (an
        // input larger than the worker's heap). It is an attempt like any other now.
        WorkerPool p = pool(settings(1).jvmOption("-Xmx32m").retries(1));
        byte[] huge = bytes("echo " + "y".repeat(48 << 20));
        WorkerCrashedException e = assertInstanceOf(WorkerCrashedException.class, failure(p.submit(huge)));
        assertTrue(e.getMessage().contains("was being sent to it"), e.getMessage());
        assertEquals(1, p.stats().retried(), "one retry, then the failure: " + p.stats());
        assertEquals(1, p.stats().crashed(), p.stats().toString());
        assertEquals("ok", text(p.submit(bytes("echo ok"))));
    }

    @Test
    void crashesCarryStatusSignalAndNoInventedMemoryLimit() throws Exception {
        WorkerPool p = pool(settings(1).memory(256L << 20));
        WorkerCrashedException exit = assertInstanceOf(WorkerCrashedException.class, failure(p.submit(bytes("exit 3"))));
        assertEquals(3, exit.exitStatus());
        assertEquals(0, exit.signal());
        assertTrue(exit.limitExceeded().isEmpty(), exit.getMessage());
        assertTrue(!exit.getMessage().contains("memory"), exit.getMessage());
        WorkerCrashedException crash = assertInstanceOf(WorkerCrashedException.class, failure(p.submit(bytes("crash"))));
        assertEquals(6, crash.signal(), crash.getMessage());
        assertTrue(crash.crashLog().isPresent(), crash.getMessage());
        Files.deleteIfExists(crash.crashLog().get());
    }

    @Test
    void fatalErrorsRecycleTheWorker() throws Exception {
        WorkerPool p = pool(settings(1));
        TaskFailedException oom = assertInstanceOf(TaskFailedException.class, failure(p.submit(bytes("oom"))));
        assertEquals("java.lang.OutOfMemoryError", oom.remoteClass());
        assertEquals("x", text(p.submit(bytes("echo x"))));
        assertEquals(2, p.stats().workerStarts(), "recycled after the OutOfMemoryError");
        TaskFailedException soe = assertInstanceOf(TaskFailedException.class, failure(p.submit(bytes("stackoverflow"))));
        assertEquals("java.lang.StackOverflowError", soe.remoteClass());
        assertEquals("y", text(p.submit(bytes("echo y"))));
        assertEquals(3, p.stats().workerStarts(), "recycled after the StackOverflowError");
        assertInstanceOf(TaskFailedException.class, failure(p.submit(bytes("throw plain"))));
        assertEquals(3, p.stats().workerStarts(), "an ordinary exception keeps the worker");
    }

    @Test
    void workersThatCannotStartFailTheStartWithTheirOwnReason() {
        assertStartFails(settings(2).jvmOption("-XX:+NoSuchOptionAtAll"), "Unrecognized VM option");
        assertStartFails(settings(1).jvmOption("-Dsupervisor.task.class=tasks.worker.NoSuchTask"), "NoSuchTask");
        assertStartFails(settings(1).jvmOption("-Dsupervisor.task.class=tasks.worker.ThrowingConstructorTask"),
                "no licence for this machine");
        WorkerStartException e = assertStartFails(settings(1)
                .jvmOption("-Dsupervisor.task.class=tasks.worker.ExitingInitTask"), "native library not found");
        assertEquals(7, e.exitStatus(), e.getMessage());
        assertTrue(e.workerRan(), "a worker ran and ended: its jar cannot be used");
    }

    private WorkerStartException assertStartFails(PoolSettings.Builder b, String reason) {
        long start = System.nanoTime();
        WorkerStartException e = assertThrows(WorkerStartException.class, () -> WorkerPool.start(b.build()));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertTrue(!e.getMessage().contains("Stream closed") && !e.getMessage().contains("Broken pipe"), e.getMessage());
        assertTrue(millisSince(start) < 15_000, "failed after " + millisSince(start) + " ms");
        return e;
    }

    @Test
    void aPoolThatLosesTheAbilityToStartWorkersGoesDownFailsFastProbesAndRecovers() throws Exception {
        Path refuse = Files.createTempFile("supervisor-refuse", ".flag");
        Files.delete(refuse);
        try {
            WorkerPool p = pool(settings(1).environment("HOSTILE_REFUSE_IF_EXISTS", refuse.toString())
                    .restartIntensity(3, Duration.ofSeconds(60)).probeInterval(Duration.ofMillis(500), Duration.ofSeconds(2)));
            assertEquals("ok", text(p.submit(bytes("echo ok"))));
            assertEquals("up", p.stats().state());
            Files.createFile(refuse);
            CallFuture dies = p.submit(bytes("exit 1"));
            List<CallFuture> pending = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                pending.add(p.submit(bytes("echo " + i)));
            }
            assertInstanceOf(WorkerCrashedException.class, failure(dies));
            long start = System.nanoTime();
            for (CallFuture f : pending) {
                WorkerStartException e = assertInstanceOf(WorkerStartException.class, failure(f));
                assertTrue(e.getMessage().contains("refusing to start"), e.getMessage());
                assertEquals(9, e.exitStatus());
            }
            assertTrue(millisSince(start) < 10_000, "pending calls failed after " + millisSince(start) + " ms");
            PoolStats down = p.stats();
            assertEquals("down", down.state());
            assertTrue(down.failedStarts() >= 4, down.toString());
            assertTrue(down.lastStartFailure().contains("refusing to start"), down.lastStartFailure());
            assertTrue(down.nextProbeMillis() >= 0 && down.nextProbeMillis() <= 2000, down.toString());
            assertEquals("down", ManagementFactory.getPlatformMBeanServer().getAttribute(
                    new ObjectName("supervisor:type=WorkerPool,name=" + p.name()), "State"));
            // Down: a call fails at once, saying since when and why.
            long submitted = System.nanoTime();
            WorkerStartException late = assertInstanceOf(WorkerStartException.class, failure(p.submit(bytes("echo late"))));
            assertTrue(millisSince(submitted) < 1000, "a call took " + millisSince(submitted) + " ms to fail");
            assertTrue(late.getMessage().startsWith("the pool is down since "), late.getMessage());
            assertTrue(late.getMessage().contains("refusing to start"), late.getMessage());
            // It probes, one start at a time and slowly: at most 1 + 2 s / 0.5 s in 2 s.
            long starts = p.stats().workerStarts();
            Await.until(LONG, "a probe", () -> p.stats().workerStarts() > starts);
            // A worker can start again: the pool is up within the longest probe interval.
            Files.delete(refuse);
            Await.until(LONG, "the pool to be up again", () -> p.stats().state().equals("up"));
            assertEquals("again", text(p.submit(bytes("echo again"))));
            assertEquals(-1, p.stats().nextProbeMillis());
        } finally {
            Files.deleteIfExists(refuse);
        }
    }

    @Test
    void workersKilledFromOutsideWhileStartingAreSaidSoAndDoNotTakeThePoolDown() throws Exception {
        Path slow = Files.createTempFile("supervisor-slow", ".flag");
        Files.delete(slow);
        try {
            WorkerPool p = pool(settings(1).environment("HOSTILE_SLOW_START_IF_EXISTS", slow.toString())
                    .restartIntensity(2, Duration.ofSeconds(60)));
            assertEquals("ok", text(p.submit(bytes("echo ok"))));
            Files.createFile(slow);
            assertInstanceOf(WorkerCrashedException.class, failure(p.submit(bytes("exit 1"))));
            Set<Integer> killed = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                // The replacement, in its task's static initialiser: SIGKILL it (as the OOM killer would).
                int[] pid = new int[1];
                Await.until(LONG, "a starting worker", () -> {
                    for (ProcStat ps : Procs.withEnv("SUPERVISOR_TEST_ID=" + testId)) {
                        if (ps.state() != 'Z' && !killed.contains(ps.pid())
                                && Procs.cmdline(ps.pid()).contains("WorkerMain")) {
                            pid[0] = ps.pid();
                            return true;
                        }
                    }
                    return false;
                });
                killed.add(pid[0]);
                ProcessHandle.of(pid[0]).ifPresent(ProcessHandle::destroyForcibly);
                int count = i + 1;
                Await.until(LONG, "the kill to be counted", () -> p.stats().killedStarts() == count);
            }
            PoolStats s = p.stats();
            assertTrue(!s.state().equals("down"), s.toString());
            assertEquals(0, s.failedStarts(), s.toString());
            assertTrue(s.lastStartFailure().contains("was killed by SIGKILL while starting"), s.lastStartFailure());
            Files.delete(slow);
            Await.until(LONG, "a worker to start", () -> p.stats().state().equals("up"));
            assertEquals("after", text(p.submit(bytes("echo after"))));
            assertTrue(p.restartsByWorker().get(0).reasons().containsKey("killed_while_starting"),
                    p.restartsByWorker().toString());
        } finally {
            Files.deleteIfExists(slow);
        }
    }

    @Test
    void closeReturnsWithinItsBoundWhateverTheWorkersDo() throws Exception {
        WorkerPool p = pool(settings(3).grace(Duration.ofMillis(500)));
        CallFuture hang = p.submit(bytes("hang"));
        CallFuture mid = p.submit(bytes("midframe"));
        CallFuture stop = p.submit(bytes("stopreading"));
        assertEquals("stopping", text(stop));
        Await.until(LONG, "the calls to start", () -> hang.attempts() == 1 && mid.attempts() == 1);
        long start = System.nanoTime();
        p.close(Duration.ofMillis(300));
        long ms = millisSince(start);
        assertTrue(ms < 300 + 500 + WorkerPool.CLOSE_SLACK.toMillis(), "close took " + ms + " ms");
        assertTrue(ms < 5000, "close took " + ms + " ms");
        assertInstanceOf(PoolClosedException.class, failure(hang));
    }

    @Test
    void aResultTooLargeForTheSupervisorsHeapFailsThatCallOnly() throws Exception {
        // A supervisor JVM with a small heap, as the command line has: a result near the frame
        // limit must fail its call (not kill a pool thread) and the next call must be answered.
        String out = smallHeapCaller("-Xmx96m", 90 << 20, "big 80000000");
        assertTrue(out.contains("first: SupervisorErrorException") || out.contains("first: ok"), out);
        assertTrue(out.contains("after: after"), out);
    }

    @Test
    void aStrayNearMaximumResultIsRefusedAtItsHeaderInA64MiBHeap() throws Exception {
        // A RESULT for a call that is not running, announcing (and sending) 64 MiB: refused on
        // its header, its payload never read; the old reader held 96 MiB of it.
        int frame = 64 << 20;
        String out = smallHeapCaller("-Xmx64m", frame, "strayresult " + (frame - 9 - 1024));
        assertTrue(out.contains("first: ProtocolErrorException: worker w1 broke the protocol: sent RESULT ("), out);
        assertTrue(out.contains("for call 4611686018427387904 while call 1 was running"), out);
        assertTrue(out.contains("after: after"), out);
        assertTrue(!out.contains("OutOfMemoryError"), out);
    }

    /** Runs {@link SmallHeapCaller} in a JVM of its own; its output, once it exited 0. */
    private String smallHeapCaller(String heap, int maxFrame, String first) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, heap, "-cp", System.getProperty("java.class.path"),
                SmallHeapCaller.class.getName(), WorkerPoolIT.WORKER_JAR.toString(), testId, Integer.toString(maxFrame), first)
                .redirectErrorStream(true).start();
        String out;
        try {
            assertTrue(child.waitFor(90, TimeUnit.SECONDS), "the small-heap caller finished");
            out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            child.destroyForcibly();
        }
        assertEquals(0, child.exitValue(), out);
        return out;
    }
}
