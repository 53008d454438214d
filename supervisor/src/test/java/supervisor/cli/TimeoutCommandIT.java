package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import supervisor.platform.Cgroups;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * Issue 27, item 5: {@code supervisor timeout}, and the launcher under the name {@code timeout},
 * against GNU's {@code /usr/bin/timeout} run with the same command line in the same test: the
 * same status, the same stdout, the same stderr byte for byte (statuses 124 to 127, 137, 128+N,
 * {@code --preserve-status}, {@code -k}, {@code -s}, {@code -v}, usage errors). Then what differs on
 * purpose: the whole tree is stopped (a setsid'ed grandchild too) and nothing the command started
 * is left running. And what a drop-in needs: the signals a caller ignores stay ignored in the
 * command ({@code trap '' PIPE}), signals sent to timeout reach the command and a death by signal
 * is passed on as such, arguments pass byte for byte in the C locale, no file is written and
 * nothing is printed.
 *
 * <p>Both run as a script runs them: {@code sh} finds {@code timeout} in PATH (a directory holding
 * a link named timeout, to the launcher or to GNU's), so both see argv[0] "timeout". Every process
 * carries a test marker; each test proves that none is left.
 */
class TimeoutCommandIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Path GNU = Path.of("/usr/bin/timeout");

    @TempDir
    static Path bins;
    private static Path ours;
    private static Path gnus;

    @BeforeAll
    static void links() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(GNU), "GNU timeout (coreutils) is not at " + GNU);
        ours = Files.createDirectories(bins.resolve("ours"));
        gnus = Files.createDirectories(bins.resolve("gnu"));
        Files.createSymbolicLink(ours.resolve("timeout"), Supervisor.LAUNCHER.toAbsolutePath().normalize());
        Files.createSymbolicLink(gnus.resolve("timeout"), GNU);
    }

    /** What one run of timeout did. */
    record Result(int status, byte[] stdout, String stderr, long pid) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /** One run of {@code timeout ARGS} (ours or GNU's), as a script runs it, marked for the leftovers check. */
    private static final class Run implements AutoCloseable {
        final String marker = "SUPERVISOR_TEST_ID=" + UUID.randomUUID();
        final Process process;
        final Path out;
        final Path err;

        Run(Path bin, Map<String, String> env, Path dir, String script, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of("sh", "-c", "ulimit -c 0; PATH=$0:$PATH; " + script, bin.toString()));
            cmd.addAll(Arrays.asList(args));
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("SUPERVISOR_TEST_ID", marker.substring(marker.indexOf('=') + 1));
            pb.environment().put("LC_ALL", "C.UTF-8");
            pb.environment().remove("SUPERVISOR_TERMINATION");
            env.forEach((k, v) -> {
                if (v == null) {
                    pb.environment().remove(k);
                } else {
                    pb.environment().put(k, v);
                }
            });
            out = Files.createTempFile("timeout-it", ".out");
            err = Files.createTempFile("timeout-it", ".err");
            pb.redirectInput(new File("/dev/null")).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            process = pb.start();
        }

        Result await() throws IOException, InterruptedException {
            if (!process.waitFor(LONG.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("timeout did not exit within " + LONG + "; stderr: " + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readAllBytes(out), Files.readString(err), process.pid());
        }

        String stdoutSoFar() throws IOException {
            return Files.readString(out);
        }

        String stderrSoFar() throws IOException {
            return Files.readString(err);
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            try {
                Procs.assertNoneLeft(marker, Duration.ofSeconds(10));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        }
    }

    /** {@code exec timeout ARGS} from sh, to completion. */
    private static Result timeout(Path bin, Map<String, String> env, String... args) throws Exception {
        try (Run r = new Run(bin, env, null, "exec timeout \"$@\"", args)) {
            return r.await();
        }
    }

    static Stream<List<String>> commandLines() {
        return Stream.of(
                List.of(),
                List.of("5"),
                List.of("--foo=bar", "1", "true"),
                List.of("--v", "1", "true"),
                List.of("--sig", "1", "true"),
                List.of("-k"),
                List.of("--signal"),
                List.of("--verbose=1", "1", "true"),
                List.of("-vx", "1", "true"),
                List.of("-0", "true"),
                List.of("1x", "true"),
                List.of("--", "-1", "true"),
                List.of("nan", "true"),
                List.of("1 ", "true"),
                List.of("-k", "1e", "1", "true"),
                List.of("-s", "FOO", "1", "true"),
                List.of("-s", "32", "1", "true"),
                List.of("--foo", "--help"),
                List.of("1", ""),
                List.of("1", "no-such-command-for-timeout"),
                List.of("1", "/etc"),
                List.of("1", "/etc/passwd"),
                List.of("1", "/etc/passwd/x"),
                List.of("1", "/no/such/dir/x"),
                List.of("10", "sh", "-c", "echo out; echo err >&2; exit 3"),
                List.of("0", "sh", "-c", "exit 0"),
                List.of(" 0x1p-3", "sleep", "10"),
                List.of(".2", "sleep", "10"),
                List.of("--preserve-status", ".2", "sleep", "10"),
                List.of("-s", "KILL", ".2", "sleep", "10"),
                List.of("-v", "-s", "137", ".2", "sleep", "10"),
                List.of("-v", "-s0", "-k", ".2", ".2", "sleep", "10"),
                List.of("--verbose", "--kill-after=.3", ".2", "sh", "-c", "trap '' TERM; sleep 10"),
                List.of("-vs", "USR1", ".2", "sleep", "10"),
                List.of("--signal=RTMIN+3", "-v", ".2", "sleep", "10"),
                List.of("-s", "INT", "--preserve-status", ".2", "sh", "-c", "trap 'exit 7' INT; sleep 10 & wait"),
                List.of("10", "sh", "-c", "kill -SEGV $$"),
                List.of("10", "sh", "-c", "kill -TERM $$"),
                List.of("--foreground", ".2", "sleep", "10"),
                List.of("1.5m", "sh", "-c", "echo $0 \"$@\"", "a", "b c"));
    }

    @ParameterizedTest(name = "timeout {0}")
    @MethodSource("commandLines")
    void statusOutputAndMessagesAreGnus(List<String> args) throws Exception {
        String[] a = args.toArray(String[]::new);
        Result gnu = timeout(gnus, Map.of(), a);
        Result our = timeout(ours, Map.of(), a);
        assertEquals(gnu.status(), our.status(), "status; our stderr: " + our.stderr());
        assertEquals(gnu.stderr(), our.stderr(), "stderr");
        assertEquals(gnu.out(), our.out(), "stdout");
    }

    @Test
    void inTheCLocaleQuotesAreAsciiAndBytesAreEscaped() throws Exception {
        Map<String, String> c = Map.of("LC_ALL", "C");
        for (String[] a : new String[][] {{"-s", "é'\\", "1", "true"}, {"-v", ".2", "sleep", "10"}, {"-v", "-s", "KILL", ".2", "sleep", "10"}}) {
            Result gnu = timeout(gnus, c, a);
            Result our = timeout(ours, c, a);
            assertEquals(gnu.status(), our.status(), our.stderr());
            assertEquals(gnu.stderr(), our.stderr());
        }
    }

    @Test
    void argumentsAndEnvironmentPassByteForByteInTheCLocale() throws Exception {
        // é and a byte that is no UTF-8 at all: a JVM in the C locale reads both as '?'.
        String script = "exec timeout 5 sh -c 'printf \"%s|%s|\" \"$1\" \"$WORD\"' sh \"$(printf '\\303\\251\\377')\"";
        Map<String, String> env = Map.of("LC_ALL", "C");
        try (Run r = new Run(ours, env, null, "WORD=$(printf 'x\\303\\251'); export WORD; " + script)) {
            Result our = r.await();
            assertEquals(0, our.status(), our.stderr());
            assertArrayEquals(new byte[] {(byte) 0xC3, (byte) 0xA9, (byte) 0xFF, '|', 'x', (byte) 0xC3, (byte) 0xA9, '|'},
                    our.stdout());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void theWholeTreeIsStoppedAtTheTimeoutWhereGnuLeavesWhatLeftItsGroup(Route route) throws Exception {
        Map<String, String> env = route(route);
        // A grandchild in a session of its own: out of reach of GNU's kill(0, sig).
        String script = "exec timeout 1 sh -c 'setsid sleep 1000 & echo started; wait'";
        try (Run r = new Run(ours, env, null, script)) {
            Result our = r.await();
            assertEquals(124, our.status(), our.stderr());
            assertEquals("started\n", our.out());
            assertEquals("", our.stderr());
        } // close: the setsid'ed sleep is gone too
        Run gnu = new Run(gnus, env, null, script);
        try {
            assertEquals(124, gnu.await().status());
            assertFalse(Procs.withEnv(gnu.marker).isEmpty(), "GNU timeout leaves the setsid'ed sleep running");
        } finally {
            killLeftovers(gnu);
        }
    }

    /** What GNU's timeout left running, killed; then the run's check that nothing is left. */
    private static void killLeftovers(Run gnu) throws Exception {
        try {
            for (ProcStat p : Procs.withEnv(gnu.marker)) {
                Supervisor.kill("KILL", p.pid());
            }
        } finally {
            gnu.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void killAfterKillsTheWholeTreeAndSays137(Route route) throws Exception {
        // Every process ignores TERM, one in a session of its own: only -k's KILL ends them.
        String script = "exec timeout -v -k .5 .5 sh -c 'trap \"\" TERM; setsid sh -c \"trap \\\"\\\" TERM; sleep 1000\" & sleep 1000 & wait'";
        try (Run r = new Run(ours, route(route), null, script)) {
            Result our = r.await();
            assertEquals(137, our.status(), our.stderr());
            assertEquals("timeout: sending signal TERM to command ‘sh’\ntimeout: sending signal KILL to command ‘sh’\n",
                    our.stderr());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void whatTheCommandLeavesRunningIsStoppedWhenItEnds(Route route, @TempDir Path dir) throws Exception {
        // GNU's timeout returns here and leaves both sleeps; the supervisor's stops them: TERM, and
        // KILL a second later for the one that ignores it. The status is the command's own.
        // The command waits until the setsid'ed one ignores TERM (it writes "armed" then), then exits.
        String script = "exec timeout -v 600 sh -c 'sleep 1000 & setsid sh -c \"trap \\\"\\\" TERM; echo > armed; exec sleep 1000\" &"
                + " until [ -e armed ]; do sleep 0.01; done; echo started; exit 5'";
        try (Run r = new Run(ours, route(route), dir, script)) {
            Result our = r.await();
            assertEquals(5, our.status(), our.stderr());
            assertEquals("started\n", our.out());
            assertEquals("timeout: sending signal TERM to the processes command ‘sh’ left running\n"
                    + "timeout: sending signal KILL to the processes command ‘sh’ left running\n", our.stderr());
        }
    }

    @Test
    void signalsTheCallerIgnoresStayIgnoredInTheCommandAsWithGnu() throws Exception {
        // INT and TTIN are GNU timeout's to handle or reset: the command gets them at their default.
        String script = "trap '' PIPE USR1 INT TTIN; exec timeout 5 grep SigIgn /proc/self/status";
        long gnu = ignored(new Run(gnus, Map.of(), null, script));
        long our = ignored(new Run(ours, Map.of(), null, script));
        // Signals 32 and 33, glibc's own, are ignored in a child that posix_spawn starts (the JDK's), and so here in both.
        assertEquals(1L << 12 | 1L << 9, gnu & 0x7FFF_FFFFL, "GNU's command: PIPE and USR1 ignored");
        assertEquals(gnu, our, "the same signals ignored");
    }

    private static long ignored(Run run) throws Exception {
        try (run) {
            Result r = run.await();
            assertEquals(0, r.status(), r.stderr());
            return Long.parseUnsignedLong(r.out().replace("SigIgn:", "").trim(), 16);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void aNestedTimeoutGetsTheSignalAndPassesItOnAsGnusDo(Route route) throws Exception {
        // The outer one's ALRM is the inner one's time being up (coreutils' timeout-group.sh): the
        // command must get the inner one's INT, not the outer one's ALRM, which would kill it.
        String script = "exec timeout -s ALRM 1 timeout -s INT 600 sh -c 'trap \"echo got INT; exit 3\" INT; echo started; sleep 1000 & wait'";
        Result gnu;
        Run g = new Run(gnus, route(route), null, script);
        try {
            gnu = g.await();
        } finally {
            killLeftovers(g); // GNU's leaves the sleep, which ignores INT (a background job of sh)
        }
        try (Run r = new Run(ours, route(route), null, script)) {
            Result our = r.await();
            assertEquals(gnu.status(), our.status(), our.stderr());
            assertEquals("started\ngot INT\n", our.out());
            assertEquals(gnu.out(), our.out());
            assertEquals(gnu.stderr(), our.stderr());
        }
    }

    @Test
    void signalsSentToTimeoutReachTheCommandsTree() throws Exception {
        String script = "exec timeout 600 sh -c 'trap \"echo got TERM; exit 3\" TERM; sleep 1000 & echo started; wait'";
        try (Run r = new Run(ours, Map.of(), null, script)) {
            Await.until(LONG, "the command to start", () -> {
                try {
                    return r.stdoutSoFar().contains("started");
                } catch (IOException e) {
                    return false;
                }
            });
            Supervisor.kill("TERM", r.process.pid());
            Result our = r.await();
            assertEquals(3, our.status(), our.stderr());
            assertEquals("started\ngot TERM\n", our.out());
            assertEquals("", our.stderr());
        } // close: the sleep got TERM too
    }

    @Test
    void aSecondTermAfterTheTimeoutIsIgnoredAsByGnus() throws Exception {
        // GNU's send_sig(0, TERM) ignores TERM from then on: a TERM sent to timeout while -k's
        // timer runs does nothing and says nothing; KILL comes when the timer says.
        String script = "exec timeout -v -k 3 .2 sh -c 'trap \"\" TERM; echo started; exec sleep 1000'";
        String expected = "timeout: sending signal TERM to command ‘sh’\ntimeout: sending signal KILL to command ‘sh’\n";
        for (Path bin : List.of(gnus, ours)) {
            try (Run r = new Run(bin, Map.of(), null, script)) {
                Await.until(LONG, "the timeout's TERM", () -> {
                    try {
                        return r.stderrSoFar().contains("TERM");
                    } catch (IOException e) {
                        return false;
                    }
                });
                Supervisor.kill("TERM", r.process.pid());
                Result result = r.await();
                assertEquals(137, result.status(), bin + ": " + result.stderr());
                assertEquals(expected, result.stderr(), bin.toString());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void killedWithSigkillItsGuardianTakesDownWhatLeftTheCommandsSession(Route route) throws Exception {
        // The command dies with the JVM (its parent-death signal), so its setsid'ed child is an
        // orphan of init: only the guardian's search for the marker finds it on the tree route.
        String script = "exec timeout 600 sh -c 'setsid sh -c \"sleep 1000\" & echo started; sleep 1000'";
        try (Run r = new Run(ours, route(route), null, script)) {
            Await.until(LONG, "the command to start", () -> {
                try {
                    return r.stdoutSoFar().contains("started");
                } catch (IOException e) {
                    return false;
                }
            });
            Supervisor.kill("KILL", r.process.pid());
            assertEquals(137, r.await().status());
        } // close: nothing of the run is left
    }

    @Test
    void aCommandKilledByASignalKillsTimeoutWithTheSameSignalAsGnusDoes() throws Exception {
        // perl's system() tells "killed by signal N" ($? & 127) from "exited with 128+N" ($? >> 8).
        String perl = "exec perl -e 'system(@ARGV); print $? & 127, \" \", $? >> 8, \"\\n\"' timeout 10 sh -c ";
        // The JDK reports both as 128+N; the supervisor reads the kernel's status through a pidfd
        // (Linux 6.15+) that it opens once its native layer is loaded, a fraction of a second after
        // the start: the command waits for that descriptor (docs/timeout.md says what happens before).
        String waiting = perl + "'until ls -l /proc/$PPID/fd | grep -q pidfd; do sleep 0.01; done; kill -TERM $$'";
        try (Run gnu = new Run(gnus, Map.of(), null, perl + "'kill -TERM $$'");
             Run our = new Run(ours, Map.of(), null, waiting)) {
            Result g = gnu.await();
            Result o = our.await();
            assertEquals("15 0\n", g.out(), g.stderr());
            assertEquals(g.out(), o.out(), o.stderr());
        }
    }

    @Test
    void invokedThroughALinkNamedTimeoutItSpeaksAsTimeout(@TempDir Path dir) throws Exception {
        Result help = timeout(ours, Map.of(), "--help");
        assertEquals(0, help.status());
        assertTrue(help.out().startsWith("Usage: timeout [OPTION] DURATION COMMAND [ARG]...\n  or:  timeout [OPTION]\n"), help.out());
        Result version = timeout(ours, Map.of(), "--version");
        assertTrue(version.out().startsWith("timeout (supervisor) "), version.out());
        // Called by a path, GNU names itself by that path, and so does the link.
        Files.createSymbolicLink(dir.resolve("timeout"), Supervisor.LAUNCHER.toAbsolutePath().normalize());
        try (Run r = new Run(ours, Map.of(), dir, "exec ./timeout 1x true")) {
            Result our = r.await();
            assertEquals(125, our.status());
            assertEquals("./timeout: invalid time interval ‘1x’\nTry './timeout --help' for more information.\n", our.stderr());
        }
        // As a command of the supervisor, its help says so, and its messages are timeout's.
        try (Supervisor s = Supervisor.builder("timeout", "--help").start()) {
            assertEquals(0, s.exitCode(LONG));
            assertEquals(Command.TIMEOUT.help, s.stdout(), "the help the man page is made from");
        }
        try (Supervisor s = Supervisor.builder("timeout", "1", "no-such-command-for-timeout").start()) {
            assertEquals(127, s.exitCode(LONG));
            assertTrue(s.stderr().startsWith("timeout: failed to run command "), s.stderr());
        }
    }

    @Test
    void itWritesNoFileAndSaysNothingWhenATimedOutJvmIsStopped(@TempDir Path dir) throws Exception {
        // supervisor run would write a thread dump of this JVM here, and say so.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Run r = new Run(ours, Map.of(), dir, "exec timeout 2 \"$@\"", java, "-jar", Supervisor.TASKS.toString(), "hang")) {
            Result our = r.await();
            assertEquals(124, our.status(), our.stderr());
            assertEquals("ready\n", our.stderr(), "the task's own line, and nothing from timeout");
            assertEquals("", our.out());
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "files in the working directory");
        }
    }

    @Test
    void aJavaFoundThroughALinkIsKnownSoQuitIsSilent(@TempDir Path dir) throws Exception {
        // Debian's java is /usr/bin/java, a link through /etc/alternatives, with no release file
        // beside it: the launcher must follow the links to learn the JDK's release, or it leaves
        // out -XX:-DisplayVMOutput (a SIGQUIT printed a thread dump) and, on JDK 25, gives flags
        // that print warnings on every run.
        Path java = Path.of(System.getProperty("java.home"), "bin", "java").toRealPath();
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("java"), java);
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", null);
        env.put("SUPERVISOR_JVM", "java"); // not the JDK the build recorded: the one found in PATH
        String script = "PATH=" + bin + ":$PATH; exec timeout 600 sh -c 'trap \"exit 3\" TERM; echo started; sleep 1000 & wait'";
        try (Run r = new Run(ours, env, null, script)) {
            Await.until(LONG, "the command to start", () -> {
                try {
                    return r.stdoutSoFar().contains("started");
                } catch (IOException e) {
                    return false;
                }
            });
            // The JVM's signal thread takes QUIT (lower) before TERM, and dumps before it goes on:
            // once TERM has ended the run, whatever QUIT printed is in stderr.
            Supervisor.kill("QUIT", r.process.pid());
            Supervisor.kill("TERM", r.process.pid());
            Result our = r.await();
            assertEquals(3, our.status(), our.stderr());
            assertEquals("", our.stderr(), "nothing from the JVM: no thread dump, no warning");
        }
    }

    private static Map<String, String> route(Route route) {
        if (route == Route.CGROUP) {
            Assumptions.assumeTrue(Cgroups.writableV2Parent().isPresent(),
                    "no writable cgroup2 hierarchy here (needs root, or a systemd unit with Delegate=yes)");
        }
        Map<String, String> env = new HashMap<>();
        env.put("SUPERVISOR_TERMINATION", route == Route.CGROUP ? "cgroup" : "tree");
        return env;
    }
}
