package supervisor.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Threads;

/**
 * Many one-shot tasks from one JVM with a fixed number of threads. Its own JVM (failsafe forks one
 * per class), since the runner makes the JVM a child subreaper.
 */
class TaskRunnerIT {
    private static final int SELF = (int) ProcessHandle.current().pid();
    /** When this test began: older zombies of this JVM are an earlier class's (Procs.zombieChildrenSince). */
    private final long since = Procs.ticksNow();
    private final String id = UUID.randomUUID().toString();
    private TaskRunner runner;

    @BeforeEach
    void start() {
        runner = TaskRunner.start();
    }

    @AfterEach
    void nothingLeftBehind() {
        runner.close();
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(5));
        assertTrue(Procs.zombieChildrenSince(SELF, since).isEmpty(), "no zombie left: " + Procs.describe(Procs.zombieChildrenSince(SELF, since)));
        // The guardian leaves with the runner's last lease: this JVM has no child left at all.
        assertTrue(Await.within(Duration.ofSeconds(5), () -> ProcFs.children(SELF).isEmpty()),
                "children left: " + ProcFs.children(SELF));
    }

    /** A shell script as a task, marked with this test's id through the request's environment. */
    private TaskRequest.Builder sh(String script) {
        return TaskRequest.builder("sh", "-c", script).environment("SUPERVISOR_TEST_ID", id);
    }

    @Test
    void twoHundredConcurrentTasksWithAFixedNumberOfThreads(@TempDir Path dir) throws Exception {
        // Every task waits for a shared lock on a file that a helper holds exclusively until all
        // 200 run: how many run at once does not depend on how fast a loaded machine starts them.
        Path gate = Files.createFile(dir.resolve("gate"));
        Process holder = new ProcessBuilder("flock", "-x", gate.toString(), "-c", "echo locked; exec cat")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertEquals("locked", new BufferedReader(new InputStreamReader(holder.getInputStream())).readLine());
            int before = Threads.count();
            List<CompletableFuture<TaskOutcome>> all = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                all.add(runner.run(sh("flock -s '" + gate + "' true; exit " + (i % 7)).grace(Duration.ofSeconds(1)).build()));
            }
            int[] most = {0};
            Await.until(Duration.ofMinutes(3), "200 tasks running", () -> {
                most[0] = Math.max(most[0], Threads.count());
                return runner.running() == 200 || all.stream().anyMatch(CompletableFuture::isDone);
            });
            assertEquals(200, runner.running(), "tasks running at once");
            holder.getOutputStream().close(); // cat ends, the lock is free
            assertEquals(0, holder.waitFor());
            for (int i = 0; i < all.size(); i++) {
                most[0] = Math.max(most[0], Threads.count());
                TaskOutcome o = all.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(i % 7, o.status(), "task " + i);
                assertEquals(0, o.signal());
            }
            assertTrue(most[0] - before <= TaskRunner.THREADS + 4, "threads went from " + before + " to " + most[0]);
            System.out.printf("200 one-shot tasks at once; threads %d -> at most %d%n", before, most[0]);
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void aTimeoutStopsTheWholeTreeEvenWhatIgnoresSigterm() throws Exception {
        TaskOutcome o = runner.run(sh("trap '' TERM; sleep 1061 & (setsid sleep 1062 &); exec sleep 1063")
                .timeout(Duration.ofMillis(300)).grace(Duration.ofMillis(200)).build()).get(30, TimeUnit.SECONDS);
        assertTrue(o.timedOut());
        assertEquals(137, o.status(), "killed after the grace: " + o);
        assertEquals(9, o.signal());
    }

    @Test
    void whatATaskLeavesRunningIsKilledWhenItEnds(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.txt");
        TaskOutcome o = runner.run(sh("echo started; setsid sleep 1064 & exit 0").output(out).build())
                .get(30, TimeUnit.SECONDS);
        assertEquals(0, o.status());
        assertEquals(1, o.killedLeftovers(), o.toString());
        assertEquals("started\n", Files.readString(out));
    }

    @Test
    void environmentAndWorkingDirectoryReachTheTask(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.txt");
        Path work = Files.createDirectory(dir.resolve("work"));
        TaskOutcome o = runner.run(sh("pwd; echo \"$GREETING\"; echo oops >&2").output(out).workingDirectory(work)
                .environment("GREETING", "hello there").build()).get(30, TimeUnit.SECONDS);
        assertEquals(0, o.status());
        assertEquals(work.toRealPath() + "\nhello there\noops\n", Files.readString(out));
    }

    @Test
    void anOutputFifoThatNobodyReadsIsCoveredByTheTimeout(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("out.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        long start = System.nanoTime();
        TaskOutcome o = runner.run(sh("echo never read").output(fifo).timeout(Duration.ofSeconds(2))
                .grace(Duration.ofMillis(200)).build()).get(30, TimeUnit.SECONDS);
        long took = System.nanoTime() - start;
        assertTrue(o.timedOut(), o.toString());
        assertTrue(took < TimeUnit.SECONDS.toNanos(6), "the outcome took " + took / 1_000_000 + " ms");
        long closing = System.nanoTime();
        runner.close();
        long closeTook = System.nanoTime() - closing;
        assertTrue(closeTook < TimeUnit.SECONDS.toNanos(3), "close took " + closeTook / 1_000_000 + " ms");
    }

    @Test
    void oneRunnerAtATime() {
        assertThrows(IllegalStateException.class, TaskRunner::start);
    }

    /**
     * A dependent action runs on none of the runner's threads: one that starts another task and
     * waits for it finishes (it ran on the thread that completes outcomes, and waited for itself).
     */
    @Test
    void aCallbackThatRunsAnotherTaskAndWaitsForItFinishes() throws Exception {
        CompletableFuture<TaskOutcome> nested = runner.run(sh("exit 3").build())
                .thenApply(first -> runner.run(sh("exit " + (first.status() + 1)).build()).join());
        assertEquals(4, nested.get(30, TimeUnit.SECONDS).status());
        Set<String> seen = ConcurrentHashMap.newKeySet();
        runner.run(sh("exit 0").build()).thenRun(() -> seen.add(Thread.currentThread().getName()))
                .get(30, TimeUnit.SECONDS);
        assertEquals(Set.of("supervisor-runner-completion"), seen, "where the callback ran");
    }

    @Test
    void aTaskThatEndsAtOnceIsStillSeen() throws Exception {
        for (int i = 0; i < 50; i++) {
            TaskOutcome o = runner.run(TaskRequest.builder("true").environment("SUPERVISOR_TEST_ID", id).build())
                    .get(30, TimeUnit.SECONDS);
            assertEquals(0, o.status());
        }
    }

    @Test
    void hundredTasksThatExitAtOnceReportTheirStatus() throws Exception {
        List<CompletableFuture<TaskOutcome>> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(runner.run(sh("exit " + status(i)).build()));
        }
        for (int i = 0; i < all.size(); i++) {
            TaskOutcome o = all.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(status(i), o.status(), "task " + i + ": " + o);
            assertEquals(0, o.signal(), "task " + i + ": " + o);
            assertEquals(0, o.killedLeftovers(), "task " + i + ": " + o);
        }
    }

    /** 0..255 in 100 steps, 127, 137 and 255 among them: statuses that look like signals are exits too. */
    private static int status(int i) {
        return i == 0 ? 127 : i == 1 ? 137 : i == 2 ? 255 : (i * 37) % 256;
    }

    @Test
    void aCpuTimeLimitEndsASpinningTaskWith122() throws Exception {
        TaskOutcome o = runner.run(sh("while :; do :; done").cpuTime(Duration.ofSeconds(1))
                .timeout(Duration.ofSeconds(30)).build()).get(60, TimeUnit.SECONDS);
        assertEquals(122, o.status(), o.toString());
        assertEquals(24, o.signal(), "SIGXCPU: " + o);
        assertTrue(!o.timedOut(), o.toString());
    }

    @Test
    void aProgramThatDoesNotExistFailsTheFuture(@TempDir Path dir) {
        for (String program : List.of("/nonexistent/program", "no-such-program-" + id)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> runner.run(TaskRequest.builder(program, "arg").build()).get(30, TimeUnit.SECONDS));
            assertInstanceOf(TaskStartException.class, e.getCause());
            String message = e.getCause().getMessage();
            assertTrue(message.contains(program) && (message.contains("no such file") || message.contains("not found")),
                    message);
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> runner.run(TaskRequest.builder("true")
                .workingDirectory(dir.resolve("missing")).build()).get(30, TimeUnit.SECONDS));
        assertInstanceOf(TaskStartException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("missing"), e.getCause().getMessage());
    }

    @Test
    void taskRunner_hidingForksNeverSurvive() throws Exception {
        for (int i = 0; i < 20; i++) {
            // Forks that hide in the task's first milliseconds: they leave its session and clear
            // their environment (so no marker finds them), and the task exits at once.
            TaskOutcome o = runner.run(sh("env -i setsid sleep 1016 & (env -i setsid sleep 1017 &); exit 0").build())
                    .get(30, TimeUnit.SECONDS);
            assertEquals(0, o.status(), "round " + i + ": " + o);
            for (String hidden : List.of("sleep 1016", "sleep 1017")) {
                List<ProcStat> left = Procs.withCmdline(hidden);
                left.forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
                assertEquals(List.of(), left, "round " + i + ": '" + hidden + "' escaped: " + Procs.describe(left));
            }
        }
    }
}
