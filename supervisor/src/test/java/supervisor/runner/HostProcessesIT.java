package supervisor.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import supervisor.testing.Procs;

/**
 * Harm nothing: the host application's own processes keep their exit statuses while the library
 * supervises tasks beside them. The library is the child subreaper then, and reaps the zombies of
 * orphans it adopted, which live in sessions of their own; a host application's {@code Process}
 * that calls setsid is in a session of its own too, and reaping it first made the JDK report its
 * exit status as 0 (found as a flaky CgroupTerminatorIT in CI). Real processes: 60 setsid'ed
 * children of this JVM exit with 3, or die of SIGKILL, while a supervised task runs.
 */
class HostProcessesIT {
    @Test
    void aHostProcessThatCallsSetsidKeepsItsExitStatusWhileTasksAreSupervised() throws Exception {
        String testId = UUID.randomUUID().toString();
        try (TaskRunner runner = TaskRunner.start()) {
            CompletableFuture<TaskOutcome> task = runner.run(TaskRequest.builder("sleep", "30")
                    .environment("SUPERVISOR_TEST_ID", testId).timeout(Duration.ofSeconds(20)).build());
            List<Process> own = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                ProcessBuilder b = new ProcessBuilder("setsid", "sh", "-c", i % 2 == 0 ? "exit 3" : "kill -9 $$");
                b.environment().put("SUPERVISOR_TEST_ID", testId);
                own.add(b.start());
            }
            for (int i = 0; i < own.size(); i++) {
                Process p = own.get(i);
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                assertEquals(i % 2 == 0 ? 3 : 137, p.exitValue(), "the host's own child " + i + " (pid " + p.pid() + ")");
            }
            assertTrue(!task.isDone(), "the supervised task ran throughout");
        }
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
    }
}
