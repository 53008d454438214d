package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * The {@code supervisor run} contract, end to end: the real launcher, real task JVMs, real
 * signals. Each run proves on close that it left no process behind.
 */
class RunContractIT {
    private static final Duration LONG = Duration.ofSeconds(30);
    /** The debug line that says the supervisor has the task in hand (its handlers are in place). */
    private static final String SUPERVISING = "termination mechanism:";

    @ParameterizedTest
    @EnumSource(Route.class)
    void ownStatusAndOutputPassThrough(Route route) throws Exception {
        try (Supervisor s = Supervisor.run(route, List.of(), "hello")) {
            assertEquals(0, s.exitCode(LONG));
            assertEquals("hello\n", s.stdout());
            assertEquals("", s.stderr(), "a clean run says nothing");
        }
        try (Supervisor s = Supervisor.run(route, List.of(), "exit", "7")) {
            assertEquals(7, s.exitCode(LONG));
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void timeoutStopsGracefullyWith124(Route route) throws Exception {
        long start = System.nanoTime();
        try (Supervisor s = Supervisor.run(route, List.of("--timeout", "1s"), "hang-with-hook")) {
            assertEquals(124, s.exitCode(LONG));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(s.stderr().contains("supervisor: timeout 1s expired: sending SIGTERM"), s.stderr());
            assertTrue(s.stderr().contains("task: shutdown hook ran"), s.stderr());
            assertEquals("", s.stdout(), "the supervisor never writes to stdout");
            assertTrue(millis < 1000 + 5000, "took " + millis + " ms");
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void hookThatNeverReturnsIsKilledAfterGrace(Route route) throws Exception {
        long start = System.nanoTime();
        try (Supervisor s = Supervisor.run(route, List.of("--timeout", "500ms", "--grace", "500ms"),
                "hook-never-returns")) {
            assertEquals(124, s.exitCode(LONG));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(s.stderr().contains("grace 500ms expired: killing the task"), s.stderr());
            // timeout + grace + a small constant (JVM start-ups on a loaded 2-core machine)
            assertTrue(millis < 500 + 500 + 4000, "took " + millis + " ms");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Route.class)
    void stubbornTasksAreStillStoppedAs124(Route route) throws Exception {
        for (String behaviour : List.of("spin-clear-interrupts", "non-daemon", "exit0-on-term")) {
            try (Supervisor s = Supervisor.run(route, List.of("--timeout", "700ms", "--grace", "1s"), behaviour)) {
                assertEquals(124, s.exitCode(LONG), behaviour + ": " + s.stderr());
            }
        }
    }

    @Test
    void optionsMayFollowTheJarAndArgumentsAreVerbatim() throws Exception {
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--timeout=20s",
                "--", "args", "a", "b c", "--", "*", "$HOME").start()) {
            assertEquals(0, s.exitCode(LONG));
            assertEquals("[a]\n[b c]\n[--]\n[*]\n[$HOME]\n", s.stdout());
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void jvmOptionsReachTheTaskJvmInOrder(Route route) throws Exception {
        try (Supervisor s = Supervisor.run(route, List.of("--jvm-opt", "-Dprobe=first", "--jvm-opt=-Dprobe=a b"),
                "prop", "probe")) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("a b\n", s.stdout(), "each option whole, the last one winning as with java itself");
        }
    }

    @Test
    void aTaskOutOfHeapKeepsItsOwnStatusAndStderr() throws Exception {
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--jvm-opt", "-Xmx24m"), "oom")) {
            assertEquals(1, s.exitCode(LONG), "a task out of heap keeps its own status");
            assertTrue(s.stderr().contains("java.lang.OutOfMemoryError"), s.stderr());
            assertFalse(s.stderr().contains("supervisor:"), "its stderr untouched: " + s.stderr());
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void signalFromElsewhereIs128PlusN(Route route) throws Exception {
        try (Supervisor s = Supervisor.run(route, List.of(), "hang")) {
            s.awaitStderr("ready", LONG);
            Supervisor.kill("KILL", s.taskJvm().pid());
            assertEquals(137, s.exitCode(LONG));
            assertTrue(s.stderr().contains("SIGKILL"), s.stderr());
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void jvmCrashGivesJavasStatusAndNamesTheCrashLog(Route route, @TempDir Path dir) throws Exception {
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "crash")
                .route(route).directory(dir).start()) {
            assertEquals(134, s.exitCode(LONG));
            // The JVM aborts (134) after a SIGSEGV in native code: the message names the real signal and frame.
            assertTrue(s.stderr().contains("supervisor: task crashed: SIGSEGV in libjvm.so (") && s.stderr().contains("hs_err_pid"),
                    s.stderr());
        }
    }

    @Test
    void runNativeSegfaultThroughJnaNamesTheSignalAndTheNativeFrame(@TempDir Path dir) throws Exception {
        // What a legacy library does: JNA writes to address 0 from native code. The parent sees
        // SIGABRT (status 134); the message says SIGSEGV and the native function that took it.
        String jna = Path.of(Pointer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "crash-jna", jna)
                .directory(dir).start()) {
            assertEquals(134, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("supervisor: task crashed: SIGSEGV in ") && s.stderr().contains("Java_com_sun_jna_")
                    && s.stderr().contains("(status 134, SIGABRT); the JVM wrote " + dir.toRealPath()), s.stderr());
        }
    }

    @Test
    void runTempWorkdirCrashLogIsMovedOutBeforeTheDirectoryGoes(@TempDir Path dir) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--temp-workdir", Supervisor.TASKS.toString(), "--", "crash")
                .directory(dir).start()) {
            assertEquals(134, s.exitCode(LONG));
            Matcher m = Pattern.compile("the JVM wrote (\\S+hs_err_pid\\d+\\.log)").matcher(s.stderr());
            assertTrue(m.find(), s.stderr());
            assertTrue(Files.exists(Path.of(m.group(1))), "the named crash log exists: " + s.stderr());
            assertEquals(dir.toRealPath(), Path.of(m.group(1)).getParent().toRealPath(), "moved next to the run");
        }
    }

    @Test
    void javaThatCannotStartIs125() throws Exception {
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--java", "/nonexistent/java"), "hello")) {
            assertEquals(125, s.exitCode(LONG));
            assertEquals("supervisor: cannot start /nonexistent/java: no such file\n", s.stderr());
        }
    }

    @Test
    void jarsThatCannotRunAre126AndNeverStart(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("text.jar"), "not a zip");
        Path noMain = dir.resolve("nomain.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(noMain), m)) {
            out.flush();
        }
        expectRefusal(dir.toString(), 126, "it is a directory");
        expectRefusal(text.toString(), 126, "not a jar");
        expectRefusal(noMain.toString(), 126, "no Main-Class in its manifest");
        expectRefusal(dir.resolve("missing.jar").toString(), 127, "task jar not found");
        // Refused at once, before any timeout is armed: opening a FIFO would block until a writer came.
        Path fifo = dir.resolve("fifo\n.jar");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        expectRefusal(fifo.toString(), 126, "cannot run " + dir + "/fifo\\n.jar: it is a FIFO, not a jar");
        expectRefusal("/dev/zero", 126, "it is a character device");
        Path loop = Files.createSymbolicLink(dir.resolve("loop.jar"), dir.resolve("loop.jar"));
        expectRefusal(loop.toString(), 126, "Too many levels of symbolic links");
    }

    /** "x.jar/": the jar that was checked is the jar that runs (java -jar alone refused it, status 1). */
    @Test
    void aJarNamedWithATrailingSlashRunsTheJarThatWasChecked() throws Exception {
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toAbsolutePath() + "/", "--", "hello").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("hello\n", s.stdout());
            assertEquals("", s.stderr());
        }
    }

    @Test
    void unreadableJarIs126(@TempDir Path dir) throws Exception {
        // Root reads any file: as root, the supervisor runs without the capabilities that let it
        // (setpriv, util-linux), as root still, so that it can reach a checkout only root may enter.
        Path jar = Files.copy(Supervisor.TASKS, dir.resolve("locked.jar"));
        Files.setPosixFilePermissions(jar, Set.of());
        for (Route route : Route.values()) {
            List<String> cmd = new ArrayList<>();
            if (Procs.isRoot()) {
                cmd.addAll(List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search",
                        "--inh-caps=-dac_override,-dac_read_search", "--"));
            }
            cmd.addAll(List.of(Supervisor.LAUNCHER.toAbsolutePath().toString(), "run", jar.toString(), "--", "hello"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("SUPERVISOR_TERMINATION", route == Route.CGROUP ? "auto" : "tree");
            String tag = "SUPERVISOR_TEST_ID=" + UUID.randomUUID();
            pb.environment().put("SUPERVISOR_TEST_ID", tag.substring(tag.indexOf('=') + 1));
            Process p = pb.start();
            String err = new String(p.getErrorStream().readAllBytes());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(126, p.exitValue(), err);
            assertTrue(err.startsWith("supervisor: cannot run " + jar + ": permission denied"), err);
            Procs.assertNoneLeft(tag, Duration.ofSeconds(5));
        }
    }

    private void expectRefusal(String jar, int status, String message) throws Exception {
        for (Route route : Route.values()) {
            try (Supervisor s = Supervisor.builder("run", jar, "--", "hello").route(route).start()) {
                assertEquals(status, s.exitCode(LONG), route + " " + jar + ": " + s.stderr());
                assertTrue(s.stderr().contains(message), s.stderr());
                assertEquals("", s.stdout(), "the task must not start");
                assertEquals(1, s.stderr().lines().filter(l -> l.startsWith("supervisor: ")).count(), s.stderr());
            }
        }
    }

    @Test
    void usageErrorsAre2AndStartNothing() throws Exception {
        String jar = Supervisor.TASKS.toString();
        String[][] cases = {
            {"unknown option --frobnicate", "run", "--frobnicate", jar},
            {"invalid duration '3x'", "run", "--timeout", "3x", jar},
            {"invalid duration '-1s'", "run", "--timeout=-1s", jar},
            {"--timeout: invalid duration '\\u0661ms'", "run", "--timeout", "\u0661ms", jar},
            {"invalid duration '1s\\nsupervisor: ok'", "run", "--timeout", "1s\nsupervisor: ok", jar},
            {"duration '99999999999999h' is too long (at most 1000d)", "run", "--timeout", "99999999999999h", jar},
            {"--memory: memory limit '10' is 10 bytes, less than the 32M a JVM needs", "run", "--memory", "10", jar},
            {"'+2' is not a whole number", "run", "--max-procs", "+2", jar},
            {"missing the task: a jar, or a program after --", "run", "--timeout", "1s"},
            {"task arguments go after --", "run", jar, "hello"},
            {"--grace needs a value", "run", jar, "--grace"},
            {"unknown command 'walk'", "walk"},
            {"'magic' is not one of auto, cgroup, tree", "run", "--termination", "magic", jar},
        };
        for (String[] c : cases) {
            try (Supervisor s = Supervisor.builder(Arrays.copyOfRange(c, 1, c.length)).start()) {
                assertEquals(2, s.exitCode(LONG), String.join(" ", c) + ": " + s.stderr());
                assertTrue(s.stderr().startsWith("supervisor: ") && s.stderr().contains(c[0]), s.stderr());
                assertEquals(1, s.stderr().lines().count(), "one line: " + s.stderr());
                assertEquals("", s.stdout());
            }
        }
    }

    @Test
    void helpAndVersionGoToStdout() throws Exception {
        for (String[] args : new String[][] {{"--help"}, {"run", "--help"}, {"--version"}}) {
            try (Supervisor s = Supervisor.builder(args).start()) {
                assertEquals(0, s.exitCode(LONG));
                assertTrue(s.stdout().startsWith(args[0].equals("--version") ? "supervisor " : "Usage: supervisor"),
                        s.stdout());
                assertEquals("", s.stderr());
            }
        }
        try (Supervisor s = Supervisor.builder("run", "--help").start()) {
            s.exitCode(LONG);
            for (String status : List.of("124", "125", "126", "127", "130", "143", "129", "128+N")) {
                assertTrue(s.stdout().contains(status), "help documents status " + status);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void signalsToTheSupervisorStopTheTaskGracefully(Route route) throws Exception {
        String[][] cases = {{"INT", "130"}, {"TERM", "143"}, {"HUP", "129"}};
        for (String[] c : cases) {
            try (Supervisor s = Supervisor.run(route, List.of("-v"), "hang-with-hook")) {
                s.awaitStderr("ready", LONG);
                s.awaitStderr(SUPERVISING, LONG);
                s.signal(c[0]);
                assertEquals(Integer.parseInt(c[1]), s.exitCode(LONG), c[0] + ": " + s.stderr());
                assertTrue(s.stderr().contains("got SIG" + c[0] + ": sending SIGTERM"), s.stderr());
                assertTrue(s.stderr().contains("task: shutdown hook ran"), s.stderr());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aSecondSignalKillsAtOnce(Route route) throws Exception {
        try (Supervisor s = Supervisor.run(route, List.of("--grace", "60s", "-v"), "hook-never-returns")) {
            s.awaitStderr("ready", LONG);
            s.awaitStderr(SUPERVISING, LONG);
            s.signal("INT");
            s.awaitStderr("send it again to kill at once", LONG);
            long start = System.nanoTime();
            s.signal("INT");
            assertEquals(130, s.exitCode(LONG));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 1000, "exited " + millis + " ms after the second signal");
            assertTrue(s.stderr().contains("got SIGINT again: killing the task"), s.stderr());
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void stdinReachesTheTaskWithEof(Route route) throws Exception {
        byte[] input = new byte[300_000];
        for (int i = 0; i < input.length; i++) {
            input[i] = (byte) (i * 7);
        }
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "cat")
                .route(route).stdin(input).start()) {
            assertEquals(0, s.exitCode(LONG));
            assertTrue(Arrays.equals(input, s.stdoutBytes()), "stdin to stdout byte for byte");
            assertTrue(s.stderr().contains("task: read 300000 bytes"), s.stderr());
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void largeBinaryOutputArrivesWhole(Route route) throws Exception {
        long size = 300L * 1024 * 1024 + 123; // no final newline, not a block multiple
        String expected;
        try (Supervisor plain = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "write-bytes",
                Long.toString(size)).route(route).digestStdout().start()) {
            assertEquals(0, plain.exitCode(Duration.ofSeconds(60)));
            assertEquals(size, plain.stdoutCount());
            expected = plain.stdoutSha256();
        }
        assertEquals(sha256OfPattern(size), expected);
    }

    private static String sha256OfPattern(long n) throws Exception {
        byte[] block = new byte[64 * 1024];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31 + 7);
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (long left = n; left > 0; left -= block.length) {
            sha.update(block, 0, (int) Math.min(block.length, left));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void outputArrivesPromptly(Route route) throws Exception {
        try (Supervisor s = Supervisor.run(route, List.of(), "line-then-hang")) {
            s.awaitStdout("first line\n", LONG);
            assertTrue(s.process().isAlive(), "the line arrived while the task still runs");
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aTaskThatClosesStdoutHasNotEnded(Route route) throws Exception {
        try (Supervisor s = Supervisor.run(route, List.of(), "close-stdout", "700")) {
            assertEquals(0, s.exitCode(LONG));
            assertTrue(s.stderr().contains("task: exiting after closing stdout"), s.stderr());
        }
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void aTaskThatNeverReadsStdinBlocksNothing(Route route) throws Exception {
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hello")
                .route(route).keepStdinOpen().start()) {
            assertEquals(0, s.exitCode(LONG));
            assertEquals("hello\n", s.stdout());
        }
    }

}
