package supervisor.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.sandbox.Sandbox;
import supervisor.testing.Procs;

/**
 * Issue 28 on the runner's path (the detached one-shot library API, {@link TaskRunner}): a task
 * run with {@link TaskRequest.Builder#sandbox} runs as a dynamic user in its own process table,
 * without the host's network, in a read-only view; its stop at the timeout still takes every
 * process it started. The CLI's paths are RunSandboxIT and PoolSandboxIT.
 */
class TaskRunnerSandboxIT {
    private final String id = UUID.randomUUID().toString();
    private TaskRunner runner;

    @BeforeEach
    void start() {
        Assumptions.assumeTrue(Procs.isRoot(), "the sandbox's user switch and namespaces need root (CI runs as root)");
        runner = TaskRunner.start();
    }

    @AfterEach
    void nothingLeftBehind() {
        if (runner != null) {
            runner.close();
        }
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(5));
    }

    @Test
    void runnerTaskRunsSandboxedAndIsStoppedWhole(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        String script = "id -u; echo procs $(ls /proc | grep -c '^[0-9]'); "
                + "if touch /usr/lib/supervisor-escape 2>/dev/null; then echo wrote; else echo refused; fi; "
                + "echo \"marked $SUPERVISOR_TEST_ID\"; (setsid sh -c 'sleep 300' &); exec sleep 300";
        TaskRequest request = TaskRequest.builder("sh", "-c", script).environment("SUPERVISOR_TEST_ID", id)
                .output(out).timeout(Duration.ofSeconds(2)).grace(Duration.ofMillis(300))
                .sandbox(Sandbox.strict()).build();
        TaskOutcome outcome = runner.run(request).get(60, TimeUnit.SECONDS);
        assertTrue(outcome.timedOut(), outcome.toString());
        List<String> lines = Files.readAllLines(out);
        int uid = Integer.parseInt(lines.get(0));
        assertTrue(uid >= 61184 && uid <= 65519, "a dynamic user, not root: " + lines);
        int procs = Integer.parseInt(lines.get(1).substring("procs ".length()));
        assertTrue(procs <= 6, "its own process table: " + lines);
        assertEquals("refused", lines.get(2), "a read-only view: " + lines);
        assertFalse(Files.exists(Path.of("/usr/lib/supervisor-escape")));
        assertEquals("marked " + id, lines.get(3), "the marker the check for leftovers looks for is there");
    }
}
