package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * The launcher's start-up path ({@code scripts/supervisor}): the guardian it starts while the JVM
 * boots, the JVM it runs the supervisor on, and the java tasks get whatever that JVM is.
 */
class LauncherIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Path TARGET = Supervisor.LAUNCHER.toAbsolutePath().getParent().resolve("../supervisor/target")
            .normalize();

    /** The guardian serving supervisor {@code pid}: its child running guardian.sh. */
    private static List<ProcStat> guardiansOf(long pid) {
        return ProcFs.scan().stream().filter(p -> p.ppid() == pid && p.state() != 'Z'
                && Procs.isGuardianCmdline(Procs.cmdline(p.pid()))).toList();
    }

    @Test
    void launcherGuardianIsTheOneUsedAndCleansUpAfterKill9OfTheSupervisor() throws Exception {
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--timeout", "60s", "--temp-workdir"),
                "sh", "echo ready >&2; exec sleep 1031", "hang")) {
            s.awaitStderr("ready", LONG);
            List<ProcStat> guardians = guardiansOf(s.pid());
            assertEquals(1, guardians.size(), "one guardian: " + Procs.describe(guardians));
            String cmdline = Procs.cmdline(guardians.get(0).pid());
            assertTrue(cmdline.startsWith("/bin/sh ") && cmdline.endsWith("/guardian.sh"),
                    "the launcher's guardian (sh guardian.sh), not one the JVM started: " + cmdline);
            assertEquals(guardians.get(0).pid(), guardians.get(0).session(), "in a session of its own");
            Path workdir = workdirOf("sleep 1031");
            Supervisor.kill("KILL", s.pid());
            Await.until(Duration.ofSeconds(5), "the guardian to kill the task and leave",
                    () -> Procs.withCmdline("sleep 1031").isEmpty() && Procs.withEnv(s.testEnv()).isEmpty());
            Await.until(Duration.ofSeconds(5), "the guardian to remove the temporary working directory " + workdir,
                    () -> Files.notExists(workdir));
        }
    }

    @Test
    void poolCommandKilledWithItsGroupLeavesNoWorkerAndNoDirectoryThroughTheLaunchersGuardian() throws Exception {
        // supervisor pool starts through the launcher too: its guardian is the launcher's, and a
        // kill -9 of the command's whole process group (setsid: it leads one) leaves nothing.
        Path workerJar = Supervisor.TASKS.toAbsolutePath().getParent().resolve("test-tasks-worker.jar");
        try (Supervisor s = Supervisor.builder(Supervisor.LAUNCHER.toAbsolutePath().toString(), "pool", "--workers", "2",
                workerJar.toString()).launcher(Path.of("/usr/bin/setsid")).stdin("echo a\n".getBytes(StandardCharsets.UTF_8))
                .keepStdinOpen().start()) {
            s.awaitStdout("\"ok\"", LONG);
            Await.until(LONG, "two workers", () -> workers(s).size() == 2);
            List<ProcStat> guardians = guardiansOf(s.pid());
            assertEquals(1, guardians.size(), "one guardian: " + Procs.describe(guardians));
            assertTrue(Procs.cmdline(guardians.get(0).pid()).endsWith("/guardian.sh"), "the launcher's guardian");
            List<Path> tmps = new ArrayList<>();
            for (ProcStat w : workers(s)) {
                String env = new String(Files.readAllBytes(Path.of("/proc/" + w.pid() + "/environ")), StandardCharsets.UTF_8);
                for (String e : env.split("\0")) {
                    if (e.startsWith("TMPDIR=")) {
                        tmps.add(Path.of(e.substring("TMPDIR=".length())));
                    }
                }
            }
            assertEquals(2, tmps.size(), "each worker has a private TMPDIR: " + tmps);
            Supervisor.kill("KILL", -s.pid());
            Await.until(Duration.ofSeconds(5), "the guardian to kill the workers and leave",
                    () -> Procs.withEnv(s.testEnv()).isEmpty());
            Await.until(Duration.ofSeconds(5), "the guardian to remove the workers' TMPDIRs " + tmps,
                    () -> tmps.stream().allMatch(Files::notExists));
        }
    }

    private static List<ProcStat> workers(Supervisor s) {
        return Procs.withEnv(s.testEnv()).stream().filter(p -> Procs.cmdline(p.pid()).contains("test-tasks-worker.jar")
                && !Procs.cmdline(p.pid()).contains("supervisor.cli.Main")).toList();
    }

    @Test
    void guardianScriptOfAnotherBuildIsNotUsedAndCleanupStillHappens(@TempDir Path dir) throws Exception {
        // An installed layout (bin/, lib/) whose guardian.sh differs from the jar's, as a stale
        // file from an older build would: the JVM must start its own rather than trust it.
        Path launcher = layout(dir);
        Files.writeString(dir.resolve("lib/guardian.sh"), "# another build\n" + Files.readString(TARGET.resolve("guardian.sh")));
        try (Supervisor s = Supervisor.builder("run", "--timeout", "60s", "--temp-workdir", Supervisor.TASKS.toString(), "--",
                "sh", "echo ready >&2; exec sleep 1032", "hang").launcher(launcher).route(Route.TREE).start()) {
            s.awaitStderr("ready", LONG);
            List<ProcStat> guardians = guardiansOf(s.pid());
            assertTrue(guardians.stream().anyMatch(g -> Procs.cmdline(g.pid()).contains("supervisor-guardian")),
                    "the JVM started its own guardian: " + Procs.describe(guardians));
            Path workdir = workdirOf("sleep 1032");
            Supervisor.kill("KILL", s.pid());
            Await.until(Duration.ofSeconds(5), "the JVM's guardian to kill the task, and both guardians to leave",
                    () -> Procs.withCmdline("sleep 1032").isEmpty() && Procs.withEnv(s.testEnv()).isEmpty());
            Await.until(Duration.ofSeconds(5), "the guardian to remove the temporary working directory " + workdir,
                    () -> Files.notExists(workdir));
        }
    }

    @Test
    void taskRunsOnTheTaskJavaWhicheverJvmRunsTheSupervisor() throws Exception {
        String taskHome = System.getProperty("java.home");
        for (String jvm : new String[] {null, "java"}) {
            try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "prop", "java.home")
                    .environment("JAVA_HOME", taskHome).environment("SUPERVISOR_JVM", jvm).start()) {
                assertEquals(0, s.exitCode(LONG), s.stderr());
                assertEquals(taskHome, s.stdout().strip(), "SUPERVISOR_JVM=" + jvm + ": the task's java is JAVA_HOME's");
                assertEquals("", s.stderr(), "a run says nothing of the JVM it runs on");
            }
        }
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hello")
                .environment("SUPERVISOR_JVM", "/nonexistent/bin/java").start()) {
            assertEquals(125, s.exitCode(LONG));
            assertEquals("", s.stdout());
            assertEquals("supervisor: SUPERVISOR_JVM=/nonexistent/bin/java is not an executable java\n", s.stderr());
        }
    }

    @Test
    void supervisorJvmThatIsADirectoryOrNotAJavaIsRefused() throws Exception {
        // bash would say "Is a directory" and exit 126 (the status of a jar that cannot run);
        // /bin/echo would print the JVM's flags on the task's stdout.
        for (String jvm : new String[] {"/tmp", "/bin/echo"}) {
            try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hello")
                    .environment("SUPERVISOR_JVM", jvm).start()) {
                assertEquals(125, s.exitCode(LONG), s.stderr());
                assertEquals("", s.stdout());
                assertEquals("supervisor: SUPERVISOR_JVM=" + jvm + " is not an executable java\n", s.stderr());
            }
        }
    }

    /** A JDK older than 17 (its release file says so; its java here is this one) cannot run the supervisor. */
    @Test
    void aSupervisorJvmOlderThan17IsRefused(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("bin"));
        Files.createSymbolicLink(dir.resolve("bin/java"), Path.of(System.getProperty("java.home"), "bin/java"));
        Files.writeString(dir.resolve("release"), "JAVA_VERSION=\"11.0.2\"\n");
        String java = dir.resolve("bin/java").toString();
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hello")
                .environment("SUPERVISOR_JVM", java).start()) {
            assertEquals(125, s.exitCode(LONG), s.stderr());
            assertEquals("", s.stdout());
            assertEquals("supervisor: " + java + " is Java 11; the supervisor needs Java 17 or later (SUPERVISOR_JVM=PATH names another)\n",
                    s.stderr());
        } finally {
            Files.delete(dir.resolve("bin/java")); // the link, before @TempDir warns about its target
        }
    }

    /**
     * A standard descriptor the caller closed would be the first file the supervisor JVM opens (its
     * lib/modules), inherited by the task: {@code cat <&-} printed the JDK's 140 MB image.
     */
    @Test
    void closedStandardDescriptorsAreNotTheSupervisorJvmsFiles() throws Exception {
        String launcher = Supervisor.LAUNCHER.toAbsolutePath().toString();
        try (Supervisor in = Supervisor.builder("-c", "exec \"$0\" run \"$1\" -- cat <&-", launcher, Supervisor.TASKS.toString())
                     .launcher(Path.of("/bin/bash")).start();
             Supervisor out = Supervisor.builder("-c", "exec \"$0\" run \"$1\" -- hello >&-", launcher, Supervisor.TASKS.toString())
                     .launcher(Path.of("/bin/bash")).start()) {
            assertEquals(0, in.exitCode(LONG), in.stderr());
            assertEquals("", in.stdout(), "stdin closed: the task reads nothing (/dev/null)");
            assertTrue(in.stderr().contains("task: read 0 bytes"), in.stderr());
            assertEquals(125, out.exitCode(LONG), out.stderr());
            assertEquals("supervisor: stdout is closed: the task's output would be lost (to discard it: >/dev/null)\n",
                    out.stderr());
            Procs.assertNoneLeft(in.testEnv(), Duration.ofSeconds(5));
        }
    }

    /**
     * A pool does not need stdout when its answers go to --output FILE: with stdout closed it runs;
     * without --output it refuses, as run does, and says where the answers could go.
     */
    @Test
    void poolWithStdoutClosedRunsOnlyWithAnOutputFile(@TempDir Path dir) throws Exception {
        String launcher = Supervisor.LAUNCHER.toAbsolutePath().toString();
        Path answers = dir.resolve("answers.jsonl");
        Path worker = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar");
        try (Supervisor toFile = Supervisor.builder("-c", "printf 'echo a\\necho b\\n' | \"$0\" pool --workers 1 --output \"$2\" \"$1\" >&-",
                        launcher, worker.toString(), answers.toString()).launcher(Path.of("/bin/bash")).start();
             Supervisor toStdout = Supervisor.builder("-c", "printf 'echo a\\n' | \"$0\" pool --workers 1 \"$1\" >&-",
                        launcher, worker.toString()).launcher(Path.of("/bin/bash")).start()) {
            assertEquals(0, toFile.exitCode(LONG), toFile.stderr());
            List<String> lines = Files.readAllLines(answers);
            assertEquals(2, lines.size(), "answers: " + lines);
            assertTrue(lines.stream().allMatch(l -> l.contains("\"status\":\"ok\"")), "answers: " + lines);
            assertEquals(125, toStdout.exitCode(LONG), toStdout.stderr());
            assertEquals("supervisor: stdout is closed: the answers would be lost (write them with --output FILE,"
                    + " or discard them: >/dev/null)\n", toStdout.stderr());
            Procs.assertNoneLeft(toFile.testEnv(), Duration.ofSeconds(5));
            Procs.assertNoneLeft(toStdout.testEnv(), Duration.ofSeconds(5));
        }
    }

    /**
     * Without setsid on PATH the launcher starts no guardian and passes no -Dsupervisor.guardian; one
     * forged through JAVA_TOOL_OPTIONS names fd 1, here a file the caller appends to: the JVM must
     * not open it for writing (that truncated it) before finding that pid 1 is no guardian of its own.
     */
    @Test
    void aForgedGuardianPropertyTouchesNothing(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("log");
        Files.writeString(log, "precious\n");
        String javaHome = System.getProperty("java.home");
        try (Supervisor s = Supervisor.builder("-c", "exec /bin/bash \"$0\" run \"$1\" -- hello >> \"$2\"",
                        Supervisor.LAUNCHER.toAbsolutePath().toString(), Supervisor.TASKS.toString(), log.toString())
                .launcher(Path.of("/bin/bash")).environment("PATH", javaHome + "/bin:/nonexistent")
                .environment("JAVA_HOME", javaHome).environment("JAVA_TOOL_OPTIONS", "-Dsupervisor.guardian=1:1").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("precious\nhello\n", Files.readString(log));
            Procs.assertNoneLeft(s.testEnv(), Duration.ofSeconds(5));
        }
    }

    /** supervisor.jvm names a java older than 25 (replaced since the build): it runs, without the cache. */
    @Test
    void anAotCacheBesideAJdkOlderThan25IsNotUsed(@TempDir Path dir) throws Exception {
        Path launcher = layout(dir);
        Files.copy(TARGET.resolve("guardian.sh"), dir.resolve("lib/guardian.sh"));
        Files.writeString(dir.resolve("lib/supervisor.jvm"), System.getProperty("java.home") + "/bin/java\n"); // 17
        Files.writeString(dir.resolve("lib/supervisor.aot"), "made by a JDK 25");
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hello").launcher(launcher).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("hello\n", s.stdout());
            assertEquals("", s.stderr());
        }
    }

    /** An installed layout copied without jvm.args: a 125 naming it, never a JVM on default flags. */
    @Test
    void aLayoutWithoutJvmArgsIsRefused(@TempDir Path dir) throws Exception {
        Path launcher = layout(dir);
        Files.delete(dir.resolve("lib/jvm.args"));
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hello").launcher(launcher).start()) {
            assertEquals(125, s.exitCode(LONG), s.stderr());
            assertEquals("", s.stdout());
            assertTrue(s.stderr().startsWith("supervisor: cannot find jvm.args next to " + dir.resolve("bin/../lib/supervisor.jar"))
                    && s.stderr().strip().lines().count() == 1, s.stderr());
            Procs.assertNoneLeft(s.testEnv(), Duration.ofSeconds(5));
        }
    }

    /** Found by the attack pass: an empty jvm.args ran the supervisor JVM with the JVM's defaults. */
    @Test
    void anEmptyJvmArgsIsRefused(@TempDir Path dir) throws Exception {
        Path launcher = layout(dir);
        Files.writeString(dir.resolve("lib/jvm.args"), "");
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hello").launcher(launcher).start()) {
            assertEquals(125, s.exitCode(LONG), s.stderr());
            assertEquals("", s.stdout());
            assertTrue(s.stderr().startsWith("supervisor: cannot use " + dir.resolve("bin/../lib/jvm.args") + ": it is empty")
                    && s.stderr().strip().lines().count() == 1, s.stderr());
            Procs.assertNoneLeft(s.testEnv(), Duration.ofSeconds(5));
        }
    }

    @Test
    void aotCacheScriptWithoutANewEnoughJdkMakesNothing(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("supervisor.aot"), "stale");
        Files.writeString(dir.resolve("supervisor.jvm"), "/stale/bin/java\n");
        Path script = Supervisor.LAUNCHER.toAbsolutePath().getParent().resolve("make-aot-cache");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), dir.toString(), Supervisor.TASKS.toString())
                .redirectErrorStream(true);
        pb.environment().put("SUPERVISOR_AOT_JDK", System.getProperty("java.home")); // 17: too old for a cache
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("no JDK 25 or later found"), out);
        assertTrue(Files.notExists(dir.resolve("supervisor.aot")) && Files.notExists(dir.resolve("supervisor.jvm")),
                "a stale cache is removed, never left to a JDK it does not match");
    }

    /** The working directory of the (one) process running {@code cmdline}. */
    private static Path workdirOf(String cmdline) throws IOException {
        List<ProcStat> ps = Procs.withCmdline(cmdline);
        assertEquals(1, ps.size(), cmdline + ": " + Procs.describe(ps));
        Path cwd = Files.readSymbolicLink(Path.of("/proc/" + ps.get(0).pid() + "/cwd"));
        assertTrue(cwd.getFileName().toString().startsWith("supervisor-task-"), "a temporary working directory: " + cwd);
        return cwd;
    }

    /** bin/supervisor and lib/ with the build's jar, JNA and guardian.sh; returns the launcher. */
    private static Path layout(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("lib"));
        Path launcher = dir.resolve("bin/supervisor");
        Files.copy(Supervisor.LAUNCHER, launcher, StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(TARGET.resolve("supervisor.jar"), dir.resolve("lib/supervisor.jar"));
        Files.copy(TARGET.resolve("jvm.args"), dir.resolve("lib/jvm.args"));
        try (Stream<Path> lib = Files.walk(TARGET.resolve("lib"))) {
            for (Path p : lib.toList()) {
                Path to = dir.resolve("lib").resolve(TARGET.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return launcher;
    }
}
