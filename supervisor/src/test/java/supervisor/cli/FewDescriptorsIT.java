package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import supervisor.testing.Procs;
import supervisor.testing.RunsAlone;
import supervisor.testing.Supervisor;

/**
 * Under {@code ulimit -n} from far too low to just enough, every command ends with a clear status
 * (its own work done, or 125 naming the shortage), never hangs, and leaves nothing. The documented
 * minimums (README, "Limits of the environment"): 16 for {@code run}, 16 plus about 4 per worker
 * for {@code pool}.
 */
@RunsAlone
class FewDescriptorsIT {
    private static int sh(String script, String id) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", script, "sh", Supervisor.LAUNCHER.toAbsolutePath().toString(),
                Supervisor.TASKS.toString(), Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.PIPE);
        pb.environment().put("SUPERVISOR_TEST_ID", id);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "it ended: " + err);
        int status = p.exitValue();
        assertTrue(status == 0 || status == 125 && err.contains("Too many open files") || status == 125 && err.contains("supervisor: "),
                "status " + status + ", stderr:\n" + err);
        return status;
    }

    @ParameterizedTest(name = "ulimit -n {0}")
    @ValueSource(ints = {12, 16, 24, 32})
    void runAndPoolWithFewDescriptorsEndClearlyAndLeaveNothing(int limit) throws Exception {
        Set<String> before = Procs.supervisorLeftovers();
        String id = UUID.randomUUID().toString();
        int run = sh("ulimit -n " + limit + "; \"$1\" run --timeout 20s \"$2\" -- hello", id);
        int pool = sh("ulimit -n " + limit + "; echo 'echo x' | \"$1\" pool --workers 2 --timeout 20s \"$3\"", id);
        if (limit >= 16) {
            assertTrue(run == 0, "run works with the documented minimum");
        }
        if (limit >= 24) {
            assertTrue(pool == 0, "pool with 2 workers works with 16 + 4 per worker");
        }
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(10));
        Set<String> after = Procs.supervisorLeftovers();
        after.removeAll(before);
        assertTrue(after.isEmpty(), "left: " + after);
    }

}
