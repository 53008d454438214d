package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.RunsAlone;
import supervisor.testing.Supervisor;

/**
 * A pool worker's grandchild that hides from every layer of the process tree but a subreaper:
 * {@code env -i} (no marker), {@code setsid} (no session or group), double-forked (reparented).
 * Held by the process tree alone (no cgroup), it must still die with its worker: when the worker
 * is replaced, when it ends by itself, and when the pool closes (issue 22, point 10).
 */
class HiddenOrphansIT {
    private static final String WORKER = WorkerPoolIT.WORKER_JAR.toString();
    private static final Duration LONG = Duration.ofSeconds(120);

    private final String testId = UUID.randomUUID().toString();
    private final List<String> hidden = new ArrayList<>();
    private final List<WorkerPool> pools = new ArrayList<>();

    /** A {@code sleep} duration no other process on the machine has: its command line finds it. */
    private String uniqueSleep() {
        String s = "4" + ThreadLocalRandom.current().nextInt(100, 999) + "." + ThreadLocalRandom.current().nextInt(100_000, 999_999);
        hidden.add("sleep " + s);
        return s;
    }

    @AfterEach
    void nothingLeftBehind() {
        pools.forEach(WorkerPool::shutdownNow);
        List<ProcStat> left = new ArrayList<>();
        for (String h : hidden) {
            List<ProcStat> found = Procs.withCmdline(h);
            found.forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
            left.addAll(found);
        }
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
        assertEquals(List.of(), left, "hidden grandchildren were left (killed now): " + Procs.describe(left));
    }

    /** Waits until no process has {@code cmdline}; fails naming the survivors. */
    private static void assertGone(String cmdline, String when) {
        assertTrue(Await.within(Duration.ofSeconds(5), () -> Procs.withCmdline(cmdline).isEmpty()),
                "'" + cmdline + "' survived " + when + ": " + Procs.describe(Procs.withCmdline(cmdline)));
    }

    private static void assertRunning(String cmdline) {
        assertTrue(Await.within(Duration.ofSeconds(5), () -> !Procs.withCmdline(cmdline).isEmpty()),
                "'" + cmdline + "' never started");
    }

    private Supervisor pool(String input, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("pool", "--termination", "tree"));
        args.addAll(List.of(options));
        args.add(WORKER);
        return Supervisor.builder(args.toArray(String[]::new)).route(Supervisor.Route.TREE)
                .stdin(input.getBytes(StandardCharsets.UTF_8)).keepStdinOpen().start();
    }

    @Test
    void command_replacedWorker_takesItsHiddenGrandchild() throws Exception {
        String first = uniqueSleep();
        try (Supervisor s = pool("hide " + first + "\n", "--workers", "1", "--max-calls", "1")) {
            assertRunning("sleep " + first);
            // The worker that made it is replaced after its one call, while the pool runs on.
            assertGone("sleep " + first, "the replacement of its worker (--max-calls 1)");
            s.process().getOutputStream().close();
            assertEquals(0, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void command_closingPool_takesTheHiddenGrandchildOfALiveWorker() throws Exception {
        String first = uniqueSleep();
        try (Supervisor s = pool("hide " + first + "\n", "--workers", "1")) {
            assertRunning("sleep " + first);
            s.process().getOutputStream().close();
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertGone("sleep " + first, "the pool's end");
        }
    }

    @Test
    void command_workerThatExitsByItself_takesItsHiddenGrandchild() throws Exception {
        String first = uniqueSleep();
        try (Supervisor s = pool("hide " + first + "\nexit 3\n", "--workers", "1")) {
            assertRunning("sleep " + first);
            // The worker that made it exits by itself on the second call; the pool goes on.
            assertGone("sleep " + first, "its worker's own exit");
            s.process().getOutputStream().close();
            assertEquals(1, s.exitCode(LONG), s.stderr());
        }
    }

    /**
     * The pool's JVM killed with SIGKILL: it runs no clean-up, and its worker halts once its
     * stdin ends, which would reparent the hidden grandchild to init. The guardian stops the
     * worker's tree (the worker, a subreaper, still holds the grandchild) and kills all of it.
     */
    @Test
    @RunsAlone
    void command_killedPool_guardianTakesTheHiddenGrandchild() throws Exception {
        String first = uniqueSleep();
        Set<String> before = Procs.supervisorLeftovers();
        try (Supervisor s = pool("hide " + first + "\n", "--workers", "1")) {
            assertRunning("sleep " + first);
            Supervisor.kill("KILL", s.pid());
            assertTrue(s.process().waitFor(10, TimeUnit.SECONDS), "the pool did not die of SIGKILL");
            assertGone("sleep " + first, "SIGKILL of the pool's JVM");
            Procs.assertNoneLeft(s.testEnv(), Duration.ofSeconds(5));
            assertTrue(Await.within(Duration.ofSeconds(5), () -> before.containsAll(Procs.supervisorLeftovers())),
                    "left by the guardian: " + Procs.supervisorLeftovers());
        }
    }

    private WorkerPool library(int maxCalls) {
        PoolSettings.Builder b = PoolSettings.builder(WorkerPoolIT.WORKER_JAR).workers(1)
                .termination(PoolSettings.Termination.TREE)
                .environment("SUPERVISOR_TEST_ID", testId)
                .jvmOption("-Xmx64m")
                .workerOutput(line -> { });
        if (maxCalls > 0) {
            b.maxCallsPerWorker(maxCalls);
        }
        WorkerPool p = WorkerPool.start(b.build());
        pools.add(p);
        return p;
    }

    private static String call(WorkerPool p, String input) throws Exception {
        return new String(p.submit(input.getBytes(StandardCharsets.UTF_8)).get(60, TimeUnit.SECONDS), StandardCharsets.UTF_8);
    }

    @Test
    void library_replacedWorker_takesItsHiddenGrandchild() throws Exception {
        String first = uniqueSleep();
        try (WorkerPool p = library(1)) {
            assertEquals("hidden 0", call(p, "hide " + first));
            assertGone("sleep " + first, "the replacement of its worker (maxCallsPerWorker 1)");
            assertEquals("x", call(p, "echo x"));
        }
    }

    @Test
    void library_closingPool_takesTheHiddenGrandchildOfALiveWorker() throws Exception {
        String first = uniqueSleep();
        WorkerPool p = library(0);
        assertEquals("hidden 0", call(p, "hide " + first));
        assertRunning("sleep " + first);
        p.close();
        assertGone("sleep " + first, "the pool's close");
    }
}
