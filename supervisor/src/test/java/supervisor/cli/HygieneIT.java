package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/** What a task sees of the supervisor: environment, descriptors, working directory. */
class HygieneIT {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void clearEnvLeavesOnlyWhatIsNamed() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--clear-env", "--env", "GREETING=hello world",
                "--pass-env", "HOME", "--pass-env", "NOT_SET_ANYWHERE", Supervisor.TASKS.toString(), "--", "env")
                .environment("SECRET_TOKEN", "s3cr3t").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            List<String> env = s.stdout().lines().toList();
            assertTrue(env.contains("GREETING=hello world"), env.toString());
            assertTrue(env.contains("HOME=" + System.getenv("HOME")), env.toString());
            assertTrue(env.contains("PATH=/usr/local/bin:/usr/bin:/bin"), env.toString());
            assertTrue(env.stream().anyMatch(l -> l.startsWith("SUPERVISOR_TASK=")), "the marker stays: " + env);
            assertFalse(env.stream().anyMatch(l -> l.startsWith("SECRET_TOKEN=")), env.toString());
            assertEquals(4, env.size(), "nothing else: " + env);
        }
    }

    @Test
    void withoutClearEnvTheTaskGetsTheWholeEnvironmentPlusEnv() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--env", "EXTRA=1", Supervisor.TASKS.toString(), "--", "env")
                .environment("SECRET_TOKEN", "s3cr3t").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertTrue(s.stdout().contains("SECRET_TOKEN=s3cr3t\n") && s.stdout().contains("EXTRA=1\n"), s.stdout());
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void theTaskInheritsNoDescriptorBeyondTheStandardThree(Route route, @TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("secret.txt"), "do not leak");
        // fd 7 is opened without close-on-exec by a shell, as a careless parent would leave it.
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "exec 7<\"$1\"; shift; exec \"$@\"", "sh", secret.toString(),
                Supervisor.LAUNCHER.toAbsolutePath().toString(), "run", Supervisor.TASKS.toString(), "--", "fds");
        pb.environment().put("SUPERVISOR_TERMINATION", route == Route.CGROUP ? "cgroup" : "tree");
        String tag = UUID.randomUUID().toString();
        pb.environment().put("SUPERVISOR_TEST_ID", tag);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertTrue(out.contains("0 -> ") && out.contains("1 -> ") && out.contains("2 -> "), out);
        assertFalse(out.contains(secret.toString()), "the supervisor's fd 7 reached the task:\n" + out);
        assertFalse(out.lines().anyMatch(l -> l.startsWith("7 -> ")), out);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + tag, Duration.ofSeconds(5));
    }

    @Test
    void workdirAndTempWorkdir(@TempDir Path dir) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--workdir", dir.toString(), Supervisor.TASKS.toString(), "--", "pwd")
                .start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals(dir.toRealPath() + "\n", s.stdout());
            assertTrue(Files.exists(dir.resolve("left-by-task.txt")));
        }
        Path temp;
        try (Supervisor s = Supervisor.builder("run", "--temp-workdir", Supervisor.TASKS.toString(), "--", "pwd").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            temp = Path.of(s.stdout().trim());
            assertTrue(temp.getFileName().toString().startsWith("supervisor-task-"), s.stdout());
            assertFalse(Files.exists(temp), "the temporary directory is removed afterwards");
        }
        try (Supervisor s = Supervisor.builder("run", "--temp-workdir", "--keep-workdir", Supervisor.TASKS.toString(),
                "--", "pwd").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            temp = Path.of(s.stdout().trim());
            assertTrue(Files.exists(temp.resolve("left-by-task.txt")), "kept");
            assertTrue(s.stderr().contains("supervisor: kept the task's working directory " + temp), s.stderr());
            Files.delete(temp.resolve("left-by-task.txt"));
            Files.delete(temp);
        }
    }

    @Test
    void hygieneOptionsThatCannotWorkAreUsageErrors(@TempDir Path dir) throws Exception {
        String jar = Supervisor.TASKS.toString();
        String[][] cases = {
            {"--env: expected KEY=VALUE", "run", "--env", "NOEQUALS", jar},
            {"--pass-env goes with --clear-env", "run", "--pass-env", "HOME", jar},
            {"is not a directory", "run", "--workdir", dir.resolve("missing").toString(), jar},
            {"exclude each other", "run", "--workdir", dir.toString(), "--temp-workdir", jar},
            {"--keep-workdir goes with --temp-workdir", "run", "--keep-workdir", jar},
        };
        for (String[] c : cases) {
            try (Supervisor s = Supervisor.builder(Arrays.copyOfRange(c, 1, c.length)).start()) {
                assertEquals(2, s.exitCode(LONG));
                assertTrue(s.stderr().contains(c[0]), s.stderr());
            }
        }
    }
}
