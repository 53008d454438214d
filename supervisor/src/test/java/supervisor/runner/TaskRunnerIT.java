package supervisor.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Procs;

/**
 * Many one-shot tasks from one JVM with a fixed number of threads. Its own JVM (failsafe forks one
 * per class), since the runner makes the JVM a child subreaper.
 */
class TaskRunnerIT {
    private final String id = "SUPERVISOR_TEST_ID=" + UUID.randomUUID();
    private TaskRunner runner;

    @BeforeEach
    void start() throws Exception {
        runner = TaskRunner.start();
    }

    @AfterEach
    void nothingLeftBehind() {
        runner.close();
        Procs.assertNoneLeft(id, Duration.ofSeconds(5));
        assertTrue(Procs.zombieChildren((int) ProcessHandle.current().pid()).isEmpty(), "no zombie left");
    }

    private List<String> sh(String script) {
        return List.of("env", id, "sh", "-c", script);
    }

    @Test
    void twoHundredConcurrentTasksWithAFixedNumberOfThreads() throws Exception {
        int before = Thread.activeCount();
        List<CompletableFuture<TaskOutcome>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            all.add(runner.run(sh("sleep 1; exit " + (i % 7)), null, Duration.ZERO, Duration.ofSeconds(1)));
        }
        int most = 0;
        int concurrent = 0;
        while (!CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).isDone()) {
            most = Math.max(most, Thread.activeCount());
            concurrent = Math.max(concurrent, runner.running());
            try {
                CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // not all done yet: sample again
            }
        }
        for (int i = 0; i < all.size(); i++) {
            TaskOutcome o = all.get(i).get();
            assertEquals(i % 7, o.status(), "task " + i);
            assertEquals(0, o.signal());
        }
        assertTrue(concurrent >= 100, "at most " + concurrent + " ran at once");
        assertTrue(most - before <= TaskRunner.THREADS + 4, "threads went from " + before + " to " + most);
        System.out.printf("200 one-shot tasks: at most %d at once; threads %d -> at most %d%n", concurrent, before, most);
    }

    @Test
    void aTimeoutStopsTheWholeTreeEvenWhatIgnoresSigterm() throws Exception {
        TaskOutcome o = runner.run(sh("trap '' TERM; sleep 1061 & (setsid sleep 1062 &); exec sleep 1063"), null,
                Duration.ofMillis(300), Duration.ofMillis(200)).get(30, TimeUnit.SECONDS);
        assertTrue(o.timedOut());
        assertEquals(137, o.status(), "killed after the grace: " + o);
        assertEquals(9, o.signal());
    }

    @Test
    void whatATaskLeavesRunningIsKilledWhenItEnds(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.txt");
        TaskOutcome o = runner.run(sh("echo started; setsid sleep 1064 & exit 0"), out, Duration.ZERO,
                Duration.ofSeconds(1)).get(30, TimeUnit.SECONDS);
        assertEquals(0, o.status());
        assertEquals(1, o.killedLeftovers(), o.toString());
        assertEquals("started\n", Files.readString(out));
    }

    @Test
    void oneRunnerAtATime() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, TaskRunner::start);
    }

    @Test
    void aTaskThatEndsAtOnceIsStillSeen() throws Exception {
        for (int i = 0; i < 50; i++) {
            TaskOutcome o = runner.run(List.of("env", id, "true"), null, Duration.ZERO, Duration.ZERO)
                    .get(30, TimeUnit.SECONDS);
            assertEquals(0, o.status());
        }
        TaskOutcome missing = runner.run(List.of("env", id, "/nonexistent/program"), null, Duration.ZERO, Duration.ZERO)
                .get(30, TimeUnit.SECONDS);
        assertEquals(127, missing.status());
    }
}
