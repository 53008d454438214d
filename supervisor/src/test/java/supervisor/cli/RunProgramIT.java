package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * Issue 27, item 4: {@code supervisor run [OPTIONS] -- PROGRAM [ARGS...]}, any program as the
 * task (a start script, a native program), with a jar task's guarantees: its exit status, its
 * output byte for byte, the timeout and the whole tree stopped (a setsid'ed grandchild too), on
 * both termination mechanisms; PROGRAM found in PATH as execvp finds it, 127 when it is not there
 * and 126 when it cannot be run, said in one line. Real processes; each test proves nothing is left.
 */
class RunProgramIT {
    private static final Duration LONG = Duration.ofSeconds(60);

    @Test
    void aProgramsOutputAndStatusAreItsOwn() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--", "sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 7")
                .start()) {
            assertEquals(7, s.exitCode(LONG), s.stderr());
            assertEquals("out\n", s.stdout());
            assertEquals("err\n", s.stderr());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void aStartScriptThatOverrunsItsTimeoutIsStoppedWithItsWholeTree(Route route) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--timeout", "1s", "--grace", "1s", "--no-thread-dump", "--",
                        "sh", "-c", "setsid sleep 1000 & sleep 1000 & echo started; wait")
                .route(route).start()) {
            s.awaitStdout("started", LONG);
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("supervisor: timeout 1s expired: sending SIGTERM to the task (pid "), s.stderr());
        } // close: nothing of the tree, the setsid'ed sleep included, is left
    }

    @Test
    void aJvmStartedByAScriptGetsItsThreadDumpAtTheTimeout(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (Supervisor s = Supervisor.builder("run", "--timeout", "2s", "--grace", "2s", "--dump-dir", dir.toString(),
                        "--", "sh", "-c", "exec " + java + " -jar " + Supervisor.TASKS + " hang")
                .environment("SUPERVISOR_THREAD_DUMP", null) // the tests' default is none
                .start()) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("thread dump"), s.stderr());
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.findAny().isPresent(), "a dump file in " + dir);
        }
    }

    @Test
    void aProgramNotInPathIs127AndOneThatCannotRunIs126(@TempDir Path dir) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--", "no-such-program-" + System.nanoTime()).start()) {
            assertEquals(127, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().matches("(?s)supervisor: cannot run 'no-such-program-[0-9]+': not found in PATH\n"),
                    s.stderr());
        }
        Path plain = Files.writeString(dir.resolve("plain.sh"), "echo never\n");
        Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rw-r--r--"));
        try (Supervisor s = Supervisor.builder("run", "--", plain.toString()).start()) {
            assertEquals(126, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("not executable"), s.stderr());
            assertEquals("", s.stdout());
        }
        try (Supervisor s = Supervisor.builder("run", "--", dir.toString()).start()) {
            assertEquals(126, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("a directory"), s.stderr());
        }
    }

    @Test
    void aProgramIsFoundInTheSupervisorsPathEvenWithACleanedEnvironment() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--clear-env", "--", "printenv", "PATH").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("/usr/local/bin:/usr/bin:/bin\n", s.stdout(), "the task's own PATH is the minimal one");
        }
    }

    @Test
    void jvmOptionsGoWithAJarOnlyAndAMissingTaskIsAUsageError() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--jvm-opt", "-Xmx64m", "--", "true").start()) {
            assertEquals(2, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("--jvm-opt goes with a task jar"), s.stderr());
        }
        try (Supervisor s = Supervisor.builder("run", "--timeout", "1s").start()) {
            assertEquals(2, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("missing the task: a jar, or a program after --"), s.stderr());
        }
    }
}
