package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * {@code supervisor run}: who gets the stop signal, which signal, and when. A task whose work runs
 * in detached child JVMs loses nothing under the default {@code tree} kill mode: every JVM's
 * shutdown hook runs. Under {@code task}, only the task's own does.
 */
class KillModeIT {
    private static final Duration LONG = Duration.ofSeconds(60);

    private static boolean[] hooks(Path dir) {
        return new boolean[] {Files.exists(dir.resolve("hook-task")), Files.exists(dir.resolve("hook-0")),
            Files.exists(dir.resolve("hook-1")), Files.exists(dir.resolve("hook-2"))};
    }

    @Test
    void runTreeKillModeRunsTheShutdownHooksOfEveryDetachedJvm(@TempDir Path dir) throws Exception {
        long start = 0;
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--timeout", "60s", "--grace", "20s"),
                "detached-jvms", "3", dir.toString())) {
            s.awaitStderr("ready", LONG);
            start = System.nanoTime();
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("kill mode tree: a 4-JVM tree stopped in " + millis + " ms");
            assertTrue(millis < 15_000, "every JVM exits on SIGTERM: the grace is not needed, took " + millis + " ms");
            assertEquals("[true, true, true, true]", Arrays.toString(hooks(dir)), s.stderr());
        }
    }

    @Test
    void runTaskKillModeSignalsTheTaskOnlyAndKillsWhatItLeaves(@TempDir Path dir) throws Exception {
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--timeout", "60s", "--grace", "20s",
                "--kill-mode", "task"), "detached-jvms", "3", dir.toString())) {
            s.awaitStderr("ready", LONG);
            long start = System.nanoTime();
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            System.out.println("kill mode task: a 4-JVM tree stopped in " + (System.nanoTime() - start) / 1_000_000 + " ms");
            // The detached JVMs left the task's process group: they never saw SIGTERM, only SIGKILL.
            assertEquals("[true, false, false, false]", Arrays.toString(hooks(dir)), s.stderr());
            assertTrue(s.stderr().contains("killed 3 processes the task left running"), s.stderr());
        }
    }

    @Test
    void runTreeKillModeGivesWhatIgnoresTheStopSignalTheWholeGrace() throws Exception {
        long start = System.nanoTime();
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--timeout", "1s", "--grace", "1500ms"),
                "sh", "trap '' TERM; exec sleep 1033")) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 2500, "the TERM-immune child had its grace: " + millis + " ms");
            assertTrue(s.stderr().contains("grace 1.5s expired: killing the task"), s.stderr());
        }
    }

    @Test
    void runTreeKillModeStopsWhatAnEndedTaskLeftPolitely(@TempDir Path dir) throws Exception {
        // The task (a JVM) starts one detached JVM and exits 0: the leftover gets SIGTERM, runs its hook.
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--grace", "20s"), "sh",
                "setsid java -jar " + Supervisor.TASKS + " hook-file " + dir.resolve("hook-0") + " 2>/dev/null &"
                        + " while [ ! -e " + dir.resolve("hook-0.ready") + " ]; do sleep 0.05; done", "wait-exit")) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("the task exited and left 1 process running: sending them SIGTERM"), s.stderr());
            assertTrue(Files.exists(dir.resolve("hook-0")), "the leftover JVM's hook ran: " + s.stderr());
        }
    }

    @Test
    void runStopSignalIsTheOneAsked() throws Exception {
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--timeout", "60s", "--stop-signal", "HUP"),
                "sh", "trap 'echo got HUP >&2; exit 0' HUP; echo shell-ready >&2; while :; do sleep 0.1; done")) {
            s.awaitStderr("shell-ready", LONG);
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("got HUP"), s.stderr());
            assertTrue(s.stderr().contains("sending SIGHUP to the task"), s.stderr());
        }
        try (Supervisor s = Supervisor.builder("run", "--stop-signal", "KILL", Supervisor.TASKS.toString(), "--", "hello").start()) {
            assertEquals(2, s.exitCode(LONG));
            assertTrue(s.stderr().contains("is not a signal that asks a process to stop"), s.stderr());
            assertEquals("", s.stdout(), "nothing ran");
        }
        // A JVM crashes on USR2 (hs_err, status 124 after the grace) and prints a thread dump on QUIT.
        for (String sig : List.of("USR2", "QUIT")) {
            try (Supervisor s = Supervisor.builder("run", "--stop-signal", sig, Supervisor.TASKS.toString(), "--", "hello").start()) {
                assertEquals(2, s.exitCode(LONG), s.stderr());
                assertEquals("supervisor: --stop-signal: '" + sig + "' does not ask a JVM task to stop", s.stderr().lines()
                        .findFirst().orElse("").replaceAll(": a JVM .*", ""), s.stderr());
                assertEquals(1, s.stderr().lines().count(), s.stderr());
                assertEquals("", s.stdout(), "nothing ran");
            }
        }
    }

    /** A non-interactive shell starts background jobs with SIGINT ignored; the supervisor handles it anyway. */
    @Test
    void runAsABackgroundJobOfAScriptStillStopsOnSigint() throws Exception {
        String tag = UUID.randomUUID().toString();
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "\"$0\" run --timeout 60s \"$1\" -- hang & echo $!; wait $!; echo \"status $?\"",
                Supervisor.LAUNCHER.toAbsolutePath().toString(), Supervisor.TASKS.toString());
        pb.environment().put("SUPERVISOR_TEST_ID", tag);
        pb.redirectError(ProcessBuilder.Redirect.PIPE);
        Process sh = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.UTF_8));
        BufferedReader err = new BufferedReader(new InputStreamReader(sh.getErrorStream(), StandardCharsets.UTF_8));
        try {
            long pid = Long.parseLong(out.readLine().trim());
            for (String line; (line = err.readLine()) != null && !line.equals("ready"); ) {
                // the task says "ready" once it runs
            }
            Supervisor.kill("INT", pid);
            assertEquals("status 130", out.readLine());
            assertTrue(sh.waitFor(30, TimeUnit.SECONDS));
        } finally {
            sh.destroyForcibly();
            Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + tag, Duration.ofSeconds(10));
        }
        assertFalse(sh.isAlive());
    }
}
