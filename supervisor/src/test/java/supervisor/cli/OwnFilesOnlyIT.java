package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.ProcFs;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.ReportSchema;
import supervisor.testing.Supervisor;

/**
 * The supervisor writes, replaces and removes only what it made (issue 22, 1-4): a report is
 * written only as a regular file, never over a link; an output is never the input; a clean-up
 * never goes into a mount point a task made inside its directories, nor fails on a deep tree.
 */
class OwnFilesOnlyIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Path WORKER = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar");
    private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));
    /** The one line a clean-up says when a task left a mount point in its directory. */
    private static final Pattern LEFT = Pattern.compile(
            "supervisor: left (\\S+) in place: a mount point is inside it \\((\\S+)\\)\n");

    // ---- the report ------------------------------------------------------------------------

    /** As root, --report /dev/stderr replaced the system's symlink with a regular file. */
    @Test
    void aReportPathThatIsASymlinkIsAUsageErrorAndStaysALink(@TempDir Path dir) throws Exception {
        Path real = Files.writeString(dir.resolve("real.json"), "keep");
        Path toFile = Files.createSymbolicLink(dir.resolve("r.json"), real);
        Path toStderr = Files.createSymbolicLink(dir.resolve("stderr"), Path.of("/proc/self/fd/2"));
        Path config = Files.writeString(dir.resolve("c.properties"), "report = " + toStderr + "\n");
        try (Supervisor option = Supervisor.builder("run", "--report", toFile.toString(), Supervisor.TASKS.toString(),
                "--", "hello").start();
             Supervisor variable = Supervisor.builder("pool", WORKER.toString())
                     .environment("SUPERVISOR_REPORT", toStderr.toString()).start();
             Supervisor file = Supervisor.builder("run", "--config", config.toString(), Supervisor.TASKS.toString(),
                     "--", "hello").start()) {
            assertEquals(2, option.exitCode(LONG), option.stderr());
            assertEquals("supervisor: --report: '" + toFile + "' is a symbolic link, which the report would replace;"
                    + " name the file itself\n", option.stderr());
            assertEquals(2, variable.exitCode(LONG), variable.stderr());
            assertEquals("supervisor: SUPERVISOR_REPORT: '" + toStderr + "' is a symbolic link, which the report would"
                    + " replace; name the file itself\n", variable.stderr());
            assertEquals(2, file.exitCode(LONG), file.stderr());
            assertTrue(file.stderr().matches("supervisor: .*c.properties:1: report: '" + Pattern.quote(toStderr.toString())
                    + "' is a symbolic link, which the report would replace; name the file itself\n"), file.stderr());
        }
        assertTrue(Files.isSymbolicLink(toFile) && Files.readSymbolicLink(toFile).equals(real), "the link stays");
        assertEquals("keep", Files.readString(real), "its target is untouched");
        assertTrue(Files.isSymbolicLink(toStderr) && Files.readSymbolicLink(toStderr).equals(Path.of("/proc/self/fd/2")));
        try (var files = Files.list(dir)) {
            assertEquals(4, files.count(), "no temporary file left");
        }
    }

    @Test
    void aReportWhoseDirectoryIsGoneSaysSoInOnePlainLine(@TempDir Path dir) throws Exception {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        try (Supervisor s = Supervisor.builder("run", "--report", sub.resolve("r.json").toString(),
                Supervisor.TASKS.toString(), "--", "sh", "rm -r '" + sub + "'", "wait-exit").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("ready\nsupervisor: cannot write the report '" + sub.resolve("r.json") + "': its directory is gone\n",
                    s.stderr());
        }
    }

    // ---- pool: the output is never the input -----------------------------------------------

    @Test
    void anOutputOrReportThatIsTheInputIsAUsageErrorAndTheInputStays(@TempDir Path dir) throws Exception {
        String lines = "echo a\necho b\n";
        Path input = Files.writeString(dir.resolve("in.txt"), lines);
        Path hard = Files.createLink(dir.resolve("hard.txt"), input);
        Path soft = Files.createSymbolicLink(dir.resolve("soft.txt"), input);
        String in = "the input file '" + input + "'";
        String[][] cases = {
            {"--output", input.toString()},
            {"--output", hard.toString()},
            {"--output", soft.toString()},
            {"--report", hard.toString()},
            {"--report", dir.resolve("out.json").toString(), "--output", dir.resolve("out.json").toString()},
        };
        String[] expected = {
            "supervisor: --output: '" + input + "' is " + in + ", which writing the answers would empty; write them to another file\n",
            "supervisor: --output: '" + hard + "' is " + in + ", which writing the answers would empty; write them to another file\n",
            "supervisor: --output: '" + soft + "' is " + in + ", which writing the answers would empty; write them to another file\n",
            "supervisor: the report '" + hard + "' is " + in + ", which the report would replace; write it to another file\n",
            "supervisor: the report '" + dir.resolve("out.json") + "' is the output file '" + dir.resolve("out.json")
                    + "', which the report would replace; write it to another file\n",
        };
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("pool", "--workers", "1", "--input", input.toString()));
            args.addAll(List.of(cases[i]));
            args.add(WORKER.toString());
            try (Supervisor s = Supervisor.builder(args.toArray(String[]::new)).start()) {
                assertEquals(2, s.exitCode(LONG), String.join(" ", cases[i]) + ": " + s.stderr());
                assertEquals(expected[i], s.stderr());
            }
            assertEquals(lines, Files.readString(input), String.join(" ", cases[i]) + ": the input is untouched");
            assertTrue(Files.isSymbolicLink(soft) && Files.isRegularFile(hard, LinkOption.NOFOLLOW_LINKS));
        }
        assertFalse(Files.exists(dir.resolve("out.json")));

        // The input as the standard input, the output naming the same file.
        ProcessBuilder pb = new ProcessBuilder(Supervisor.LAUNCHER.toAbsolutePath().toString(), "pool", "--workers", "1",
                "--output", hard.toString(), WORKER.toString()).redirectInput(input.toFile());
        String id = UUID.randomUUID().toString();
        pb.environment().put("SUPERVISOR_TEST_ID", id);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), err);
        assertEquals("supervisor: --output: '" + hard + "' is the standard input, which writing the answers would empty;"
                + " write them to another file\n", err);
        assertEquals(lines, Files.readString(input));
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(5));
    }

    /**
     * The jar and the config file are inputs too: --output w.jar truncated the worker jar, a
     * report replaced the jar or the config file read (--config or SUPERVISOR_CONFIG), and
     * SUPERVISOR_REPORT naming the input was written after the refusal of the same report.
     */
    @Test
    void anOutputOrReportThatIsTheJarOrTheConfigIsAUsageErrorAndTheyStay(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("in.txt"), "echo a\n");
        Path worker = Files.copy(WORKER, dir.resolve("w.jar"));
        Path task = Files.copy(Supervisor.TASKS, dir.resolve("t.jar"));
        Path config = Files.writeString(dir.resolve("c.conf"), "timeout = 1m\n");
        Map<Path, byte[]> before = Map.of(input, Files.readAllBytes(input), worker, Files.readAllBytes(worker),
                task, Files.readAllBytes(task), config, Files.readAllBytes(config));
        String jarIs = " is the worker jar '" + worker + "', which ";
        String configIs = " is the config file '" + config + "', which ";
        String answers = "writing the answers would empty; write them to another file\n";
        String replaced = "the report would replace; write it to another file\n";
        String[][] cases = {
            {"pool", "--input", input.toString(), "--output", worker.toString(), worker.toString()},
            {"pool", "--input", input.toString(), "--report", worker.toString(), worker.toString()},
            {"pool", "--config", config.toString(), "--input", input.toString(), "--output", config.toString(), worker.toString()},
            {"pool", "--config", config.toString(), "--input", input.toString(), "--report", config.toString(), worker.toString()},
            {"run", "--config", config.toString(), "--report", config.toString(), task.toString(), "--", "hello"},
            {"run", "--report", config.toString(), task.toString(), "--", "hello"}, // SUPERVISOR_CONFIG
            {"pool", "--input", input.toString(), worker.toString()}, // SUPERVISOR_REPORT
        };
        String[] expected = {
            "supervisor: --output: '" + worker + "'" + jarIs + answers,
            "supervisor: the report '" + worker + "'" + jarIs + replaced,
            "supervisor: --output: '" + config + "'" + configIs + answers,
            "supervisor: the report '" + config + "'" + configIs + replaced,
            "supervisor: the report '" + config + "'" + configIs + replaced,
            "supervisor: the report '" + config + "'" + configIs + replaced,
            "supervisor: the report '" + input + "' is the input file '" + input + "', which " + replaced,
        };
        for (int i = 0; i < cases.length; i++) {
            Supervisor.Builder b = Supervisor.builder(cases[i]);
            if (i == 5) {
                b.environment("SUPERVISOR_CONFIG", config.toString());
            }
            if (i == 6) {
                b.environment("SUPERVISOR_REPORT", input.toString());
            }
            try (Supervisor s = b.start()) {
                assertEquals(2, s.exitCode(LONG), String.join(" ", cases[i]) + ": " + s.stderr());
                assertEquals(expected[i], s.stderr());
            }
            for (Map.Entry<Path, byte[]> e : before.entrySet()) {
                assertTrue(Arrays.equals(e.getValue(), Files.readAllBytes(e.getKey())),
                        String.join(" ", cases[i]) + ": " + e.getKey() + " is untouched");
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(4, files.count(), "no temporary file left");
        }
    }

    /**
     * A command line refused before its inputs were known: its report is not written over a file
     * it names (the jar after --report, before the mistake), nor over SUPERVISOR_CONFIG's file.
     */
    @Test
    void aUsageErrorsReportIsNotWrittenOverAFileTheCommandLineNames(@TempDir Path dir) throws Exception {
        Path task = Files.copy(Supervisor.TASKS, dir.resolve("t.jar"));
        Path worker = Files.copy(WORKER, dir.resolve("w.jar"));
        Path config = Files.writeString(dir.resolve("c.conf"), "timeout = 1m\n");
        Map<Path, byte[]> before = Map.of(task, Files.readAllBytes(task), worker, Files.readAllBytes(worker),
                config, Files.readAllBytes(config));
        String[][] cases = {
            {"run", "--report", task.toString(), task.toString(), "--bogus"},
            {"run", "--report=" + task, task.toString(), "--bogus"},
            {"pool", "--report", worker.toString(), worker.toString(), "--bogus"},
            {"run", "--report", config.toString(), "--bogus", task.toString()}, // SUPERVISOR_CONFIG
            {"run", task.toString(), "--bogus"}, // SUPERVISOR_REPORT
        };
        for (int i = 0; i < cases.length; i++) {
            Supervisor.Builder b = Supervisor.builder(cases[i]);
            if (i == 3) {
                b.environment("SUPERVISOR_CONFIG", config.toString());
            }
            if (i == 4) {
                b.environment("SUPERVISOR_REPORT", task.toString());
            }
            try (Supervisor s = b.start()) {
                assertEquals(2, s.exitCode(LONG), String.join(" ", cases[i]) + ": " + s.stderr());
                assertTrue(s.stderr().contains("--bogus"), s.stderr());
            }
            for (Map.Entry<Path, byte[]> e : before.entrySet()) {
                assertTrue(Arrays.equals(e.getValue(), Files.readAllBytes(e.getKey())),
                        String.join(" ", cases[i]) + ": " + e.getKey() + " is untouched");
            }
        }
        try (var files = Files.list(dir)) {
            assertEquals(3, files.count(), "no temporary file left");
        }
    }

    /** --report /proc/x.json was accepted, then lost at the end ("no such file or directory"). */
    @Test
    void aReportWhoseDirectoryTakesNoFileIsAUsageError() throws Exception {
        try (Supervisor run = Supervisor.builder("run", "--report", "/proc/x.json", Supervisor.TASKS.toString(),
                "--", "hello").start();
             Supervisor pool = Supervisor.builder("pool", WORKER.toString()).environment("SUPERVISOR_REPORT",
                     "/proc/x.json").stdin("echo a\n".getBytes(StandardCharsets.UTF_8)).start()) {
            assertEquals(2, run.exitCode(LONG), run.stderr());
            assertEquals("supervisor: --report: cannot create a file in '/proc': its file system takes no new files\n",
                    run.stderr(), "nothing ran");
            assertEquals(2, pool.exitCode(LONG), pool.stderr());
            assertEquals("supervisor: SUPERVISOR_REPORT: cannot create a file in '/proc': its file system takes no"
                    + " new files\n", pool.stderr());
            assertEquals("", pool.stdout());
        }
    }

    /**
     * The report's directory is the one its path named at the start: moved away and replaced by
     * a link during the run, the report still goes to it, not to where the link points.
     */
    @Test
    void aReportGoesToTheDirectoryPinnedAtTheStart(@TempDir Path dir) throws Exception {
        Path rd = Files.createDirectory(dir.resolve("rd"));
        Path victim = Files.createDirectory(dir.resolve("victim"));
        Files.writeString(victim.resolve("r.json"), "keep");
        Path moved = dir.resolve("rd.orig");
        try (Supervisor s = Supervisor.builder("run", "--report", rd.resolve("r.json").toString(),
                Supervisor.TASKS.toString(), "--", "sh", "mv '" + rd + "' '" + moved + "' && ln -s '" + victim + "' '"
                        + rd + "'", "wait-exit").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("ready\n", s.stderr());
        }
        assertEquals("keep", Files.readString(victim.resolve("r.json")), "the link's target is untouched");
        try (var files = Files.list(victim)) {
            assertEquals(1, files.count(), "nothing else written there");
        }
        Map<String, Object> r = ReportFields.read(moved.resolve("r.json"));
        assertEquals("exited", r.get("outcome"));
        try (var files = Files.list(moved)) {
            assertEquals(List.of(moved.resolve("r.json")), files.toList(), "no temporary file left");
        }
    }

    // ---- clean-up: mount points and depth ----------------------------------------------------

    /** A task bind-mounts a victim directory into its private tmp: the clean-up emptied the victim. */
    @Test
    void aMountPointInThePrivateTmpIsLeftAndNamed(@TempDir Path dir) throws Exception {
        assumeMounts();
        Path victim = victim(dir);
        Path report = dir.resolve("r.json");
        try (Supervisor s = Supervisor.builder("run", "--private-tmp", "--report", report.toString(),
                Supervisor.TASKS.toString(), "--", "sh", "mkdir \"$TMPDIR/m\" && touch \"$TMPDIR/f\" && mount --bind '"
                        + victim + "' \"$TMPDIR/m\"", "wait-exit").start()) {
            assertEquals(0, s.exitCode(LONG), "a clean-up failure does not change the status: " + s.stderr());
            assertLeftAndNamed(s.stderr(), victim, "supervisor-tmp-");
            Map<String, Object> r = ReportFields.read(report);
            assertEquals("exited", r.get("outcome"));
            assertEquals(0L, r.get("exit_status"));
        } finally {
            unmountUnder(TMP.resolve("supervisor-"), victim);
        }
    }

    @Test
    void aMountPointInTheTempWorkdirIsLeftAndNamed(@TempDir Path dir) throws Exception {
        assumeMounts();
        Path victim = victim(dir);
        try (Supervisor s = Supervisor.builder("run", "--temp-workdir", Supervisor.TASKS.toString(), "--", "sh",
                "mkdir m && mount --bind '" + victim + "' m", "wait-exit").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertLeftAndNamed(s.stderr(), victim, "supervisor-task-");
        } finally {
            unmountUnder(TMP.resolve("supervisor-"), victim);
        }
    }

    /** A worker's TMPDIR with a mount point: the worker is still released (recycled), the victim intact. */
    @Test
    void aMountPointInAPoolWorkersTmpdirIsLeftAndTheWorkerReleased(@TempDir Path dir) throws Exception {
        assumeMounts();
        Path victim = victim(dir);
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--max-calls", "1", WORKER.toString())
                .stdin(("sh mkdir \"$TMPDIR/m\" && mount --bind '" + victim + "' \"$TMPDIR/m\"\necho after\n")
                        .getBytes(StandardCharsets.UTF_8)).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertTrue(s.stdout().contains("\"output\":\"exit 0\"") && s.stdout().contains("\"output\":\"after\""), s.stdout());
            assertFalse(s.stderr().contains("cannot release"), s.stderr());
            assertLeftAndNamed(s.stderr().lines().filter(l -> l.startsWith("supervisor: left "))
                    .findFirst().orElse("") + "\n", victim, "supervisor-tmp-");
        } finally {
            unmountUnder(TMP.resolve("supervisor-"), victim);
        }
    }

    /** The supervisor JVM killed: the guardian's clean-up does not cross the mount point either. */
    @Test
    void aMountPointIsLeftByTheGuardianAfterTheSupervisorIsKilled(@TempDir Path dir) throws Exception {
        guardianLeavesTheMount(dir, null);
    }

    /**
     * The same with java.io.tmpdir named through a symlink: the guardian compares the directory
     * with mountinfo's canonical paths, and missed the mount (the victim was emptied).
     */
    @Test
    void aMountPointIsLeftByTheGuardianWhenTheTmpdirIsNamedThroughASymlink(@TempDir Path dir) throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("tmp-link"), TMP.toRealPath());
        guardianLeavesTheMount(dir, "-Djava.io.tmpdir=" + link + "/./");
    }

    private static void guardianLeavesTheMount(Path dir, String javaToolOptions) throws Exception {
        assumeMounts();
        Path victim = victim(dir);
        Supervisor.Builder b = Supervisor.builder("run", "--private-tmp", Supervisor.TASKS.toString(), "--", "sh",
                "mkdir \"$TMPDIR/m\" && touch \"$TMPDIR/f\" && mount --bind '" + victim + "' \"$TMPDIR/m\" && echo mounted >&2",
                "hang");
        if (javaToolOptions != null) {
            b.environment("JAVA_TOOL_OPTIONS", javaToolOptions);
        }
        try (Supervisor s = b.start()) {
            s.awaitStderr("mounted", LONG);
            Supervisor.kill("KILL", s.pid()); // the launcher execs the JVM: the same pid
            s.awaitStderr("supervisor: left ", Duration.ofSeconds(10));
            assertTrue(s.process().waitFor(10, TimeUnit.SECONDS));
            Await.until(Duration.ofSeconds(10), "the guardian's line ends",
                    () -> s.stderr().endsWith("\n"));
            String line = s.stderr().lines().filter(l -> l.startsWith("supervisor: left ")).findFirst().orElseThrow();
            assertLeftAndNamed(line + "\n", victim, "supervisor-tmp-");
        } finally {
            unmountUnder(TMP.resolve("supervisor-"), victim);
        }
    }

    /** 2,100 nested directories (beyond PATH_MAX) made a successful run end in 125. */
    @Test
    void aTreeDeeperThanPathMaxIsRemoved() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--private-tmp", Supervisor.TASKS.toString(), "--", "deep", "2100")
                .start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            Matcher m = Pattern.compile("tmp=(\\S+)\n").matcher(s.stderr());
            assertTrue(m.find(), s.stderr());
            assertFalse(Files.exists(Path.of(m.group(1)), LinkOption.NOFOLLOW_LINKS), "removed whole: " + m.group(1));
            assertEquals("tmp=" + m.group(1) + "\n", s.stderr(), "nothing else said");
        }
        // In a pool: the worker is recycled and released, its TMPDIR gone.
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--max-calls", "1", WORKER.toString())
                .stdin("deep 2100\necho after\n".getBytes(StandardCharsets.UTF_8)).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            Matcher m = Pattern.compile("\"output\":\"(/[^\"]+)\"").matcher(s.stdout());
            assertTrue(m.find(), s.stdout());
            assertTrue(s.stdout().contains("\"output\":\"after\""), s.stdout());
            assertFalse(s.stderr().contains("cannot release"), s.stderr());
            assertFalse(s.stderr().contains("supervisor: left"), s.stderr());
            assertFalse(Files.exists(Path.of(m.group(1)), LinkOption.NOFOLLOW_LINKS), "removed whole: " + m.group(1));
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static void assumeMounts() throws Exception {
        Assumptions.assumeTrue(Procs.isRoot(), "bind mounts need root");
        Process p = new ProcessBuilder("sh", "-c", "command -v mount && command -v umount").start();
        Assumptions.assumeTrue(p.waitFor() == 0, "no mount and umount commands here");
    }

    /** A directory with files that no clean-up may touch. */
    private static Path victim(Path dir) throws IOException {
        Path victim = Files.createDirectories(dir.resolve("victim/sub"));
        Files.writeString(victim.resolve("keep.txt"), "keep");
        Files.writeString(dir.resolve("victim/top.txt"), "top");
        return dir.resolve("victim");
    }

    /**
     * One line names the directory left and the mount point in it; the victim is whole, the
     * mount point is still one, and nothing else of the directory is left.
     */
    private static void assertLeftAndNamed(String stderr, Path victim, String prefix) throws Exception {
        Matcher m = LEFT.matcher(stderr);
        assertTrue(m.find(), "one line names what was left: " + stderr);
        Path left = Path.of(m.group(1));
        assertTrue(left.getFileName().toString().startsWith(prefix), stderr);
        assertEquals(left.resolve("m").toString(), m.group(2), stderr);
        assertEquals("top", Files.readString(victim.resolve("top.txt")));
        assertEquals("keep", Files.readString(victim.resolve("sub/keep.txt")));
        assertTrue(mountPoints().contains(m.group(2)), "the mount point is left in place");
        try (var files = Files.list(left)) {
            assertEquals(List.of(left.resolve("m")), files.toList(), "all but the mount point removed");
        }
        assertFalse(stderr.contains("Exception"), stderr);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b); // a bind mount's root is the victim's own inode
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> mountPoints() throws IOException {
        return ProcFs.mountPoints();
    }

    /**
     * Unmounts the binds of this test's {@code victim} left under {@code prefix} (a path prefix),
     * then removes those directories; another run's mounts there are not this test's to touch.
     */
    private static void unmountUnder(Path prefix, Path victim) throws Exception {
        List<String> points = new ArrayList<>(mountPoints().stream().filter(m -> m.startsWith(prefix.toString()))
                .filter(m -> sameFile(Path.of(m), victim)).toList());
        Collections.reverse(points);
        for (String point : points) {
            Process p = new ProcessBuilder("umount", point).inheritIO().start();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            Path holder = Path.of(point).getParent();
            Files.deleteIfExists(Path.of(point));
            Files.deleteIfExists(holder);
        }
    }

    /** The report's fields, checked against its schema. */
    private static final class ReportFields {
        static Map<String, Object> read(Path file) throws Exception {
            assertTrue(Files.exists(file), file + " was not written");
            return ReportSchema.load().validate(Files.readString(file, StandardCharsets.UTF_8));
        }
    }
}
