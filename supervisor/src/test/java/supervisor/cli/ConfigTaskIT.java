package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Supervisor;

/**
 * A config file that names its task (jar, program, task-args), as a service's
 * /etc/supervisor/NAME.conf does for the template unit supervisor@.service: {@code supervisor run
 * --config FILE} and nothing else. The command line's task, when it names one, wins.
 */
class ConfigTaskIT {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void aJarWithItsArgumentsFromTheFile(@TempDir Path dir) throws Exception {
        Path conf = Files.writeString(dir.resolve("billing.conf"),
                "# a service's settings\njar = " + Supervisor.TASKS + "\ntask-args = args  one\ttwo\ntimeout = 20s\n");
        try (Supervisor s = Supervisor.builder("run", "--config", conf.toString()).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("[one]\n[two]\n", s.stdout());
            assertEquals("", s.stderr());
        }
    }

    @Test
    void aProgramWithItsArgumentsFromTheFileIsStoppedWithItsTreeAtTheTimeout(@TempDir Path dir) throws Exception {
        Path conf = Files.writeString(dir.resolve("export.conf"),
                "program = sh -c\ntask-args = sleep${IFS}1017&sleep${IFS}1017;wait\ntimeout = 1s\ngrace = 1s\n"
                        + "thread-dump = no\n");
        try (Supervisor s = Supervisor.builder("run", "--config", conf.toString()).start()) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("timeout 1s expired"), s.stderr());
        }
        // The environment names the file as well (SUPERVISOR_CONFIG), and a variable adds to it.
        Path exit = Files.writeString(dir.resolve("exit.conf"), "program = sh -c\n");
        try (Supervisor s = Supervisor.builder("run").environment("SUPERVISOR_CONFIG", exit.toString())
                .environment("SUPERVISOR_TASK_ARGS", "exit${IFS}7").start()) {
            assertEquals(7, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void theCommandLinesTaskWins(@TempDir Path dir) throws Exception {
        Path conf = Files.writeString(dir.resolve("c.conf"), "program = false\ntask-args = never\n");
        try (Supervisor s = Supervisor.builder("run", "--config", conf.toString(), Supervisor.TASKS.toString(), "--", "hello")
                .start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("hello\n", s.stdout());
        }
        try (Supervisor s = Supervisor.builder("run", "--config", conf.toString(), "--", "sh", "-c", "exit 3").start()) {
            assertEquals(3, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void aTaskTheFileCannotNameIsAUsageErrorNamingTheLine(@TempDir Path dir) throws Exception {
        Path both = Files.writeString(dir.resolve("both.conf"), "jar = " + Supervisor.TASKS + "\nprogram = true\n");
        Path argsOnly = Files.writeString(dir.resolve("args.conf"), "timeout = 1s\ntask-args = x\n");
        Path quoted = Files.writeString(dir.resolve("quoted.conf"), "program = sh -c \"exit 3\"\n");
        Path missing = Files.writeString(dir.resolve("missing.jar.conf"), "jar = " + dir.resolve("missing.jar") + "\n");
        String[][] cases = {
            {both.toString(), "2", "supervisor: " + both + ":1: jar and " + both + ":2: program exclude each other"},
            {argsOnly.toString(), "2", "supervisor: " + argsOnly + ":2: task-args without a task: set jar or program too"},
            {quoted.toString(), "2", "supervisor: " + quoted + ":1: program: 'sh -c \"exit 3\"' has a quote or a backslash"},
            {missing.toString(), "127", "supervisor: "},
        };
        for (String[] c : cases) {
            try (Supervisor s = Supervisor.builder("run", "--config", c[0]).start()) {
                assertEquals(Integer.parseInt(c[1]), s.exitCode(LONG), s.stderr());
                assertTrue(s.stderr().startsWith(c[2]) && s.stderr().strip().lines().count() == 1, s.stderr());
                assertEquals("", s.stdout());
            }
        }
    }
}
