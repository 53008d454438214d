package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.Cgroups;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * The first SIGINT or SIGTERM acts within a second in every phase before the task runs and during
 * a thread dump, with its line and its report (issue 22, points 5, 15 and 16). A regular file
 * whose read blocks, as a jar or config on a hung NFS or FUSE mount would, is tracefs'
 * {@code trace_pipe} of a tracing instance of this test's own (nothing else writes to it), on a
 * tracefs mounted here; without one (not root, no tracefs) those tests are skipped, saying why.
 */
class EarlySignalIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    /** Far below the old behaviour (600 s; 2 s for a dump), far above a signal's handling under load. */
    private static final long ACTS_WITHIN_MILLIS = 3_000;
    private static Path tracefs;
    private static Path instance;

    @BeforeAll
    static void mountTracefs() throws Exception {
        if (!Procs.isRoot()) {
            return;
        }
        Path dir = Files.createTempDirectory("earlysignalit-tracefs");
        Process p = new ProcessBuilder("mount", "-t", "tracefs", "nodev", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            Files.delete(dir);
            System.out.println("no tracefs here: " + out.trim());
            return;
        }
        tracefs = dir;
        instance = Files.createDirectory(dir.resolve("instances").resolve("earlysignalit-" + UUID.randomUUID()));
    }

    @AfterAll
    static void unmountTracefs() throws Exception {
        if (tracefs != null) {
            Files.delete(instance);
            assertEquals(0, new ProcessBuilder("umount", tracefs.toString()).inheritIO().start().waitFor());
            Files.delete(tracefs);
        }
    }

    /** A regular file whose read(2) blocks until something is traced (never, here). */
    private static Path blockingFile() {
        Assumptions.assumeTrue(instance != null, "needs root and tracefs for a regular file whose read blocks");
        Path pipe = instance.resolve("trace_pipe");
        assertTrue(Files.isRegularFile(pipe), pipe + " is a regular file");
        return pipe;
    }

    /** The main thread's sibling that reads: some thread of the JVM waits in read(2) on {@code file}. */
    private static boolean readingIn(long pid, Path file) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return tasks.anyMatch(t -> {
                try {
                    // syscall 0 is read(2) on x86-64; its first argument is the descriptor.
                    String[] sys = Files.readString(t.resolve("syscall")).trim().split(" ");
                    if (!sys[0].equals("0")) {
                        return false;
                    }
                    Path fd = Path.of("/proc", Long.toString(pid), "fd", Long.toString(Long.decode(sys[1])));
                    return Files.readSymbolicLink(fd).equals(file);
                } catch (Exception e) {
                    return false;
                }
            });
        } catch (Exception e) {
            return false;
        }
    }

    private void signalWhileReading(List<String> args, Path file, String signal, int status, String line, Path report)
            throws Exception {
        Assumptions.assumeTrue("amd64".equals(System.getProperty("os.arch")), "read(2) is syscall 0 on x86-64 only");
        try (Supervisor s = Supervisor.builder(args.toArray(String[]::new)).route(Route.TREE).start()) {
            Await.until(LONG, "the supervisor blocked reading " + file, () -> readingIn(s.pid(), file));
            long sent = System.nanoTime();
            s.signal(signal);
            assertEquals(status, s.exitCode(LONG), s.stderr());
            long millis = (System.nanoTime() - sent) / 1_000_000;
            assertTrue(millis < ACTS_WITHIN_MILLIS, "ended " + millis + " ms after " + signal + ": " + s.stderr());
            assertEquals("supervisor: " + line + "; nothing was started\n", s.stderr());
            String json = Files.readString(report);
            assertTrue(json.contains("\"outcome\": \"signal\""), json);
            assertTrue(json.contains("\"exit_status\": " + status + ","), json);
            if (args.get(0).equals("run")) {
                assertTrue(json.contains("\"pid\": null"), "no task was started: " + json);
            }
            Procs.assertNoneLeft(s.testEnv(), LONG);
        }
    }

    @Test
    void sigtermWhileTheJarBlocksInARead(@TempDir Path dir) throws Exception {
        Path pipe = blockingFile();
        Path report = dir.resolve("r.json");
        Files.writeString(report, "{\"old\": true}"); // an old report of the same name is replaced
        signalWhileReading(List.of("run", "--report", report.toString(), pipe.toString()), pipe, "TERM", 143,
                "got SIGTERM while checking the task jar " + pipe, report);
    }

    @Test
    void sigintWhileTheConfigFileBlocksInARead(@TempDir Path dir) throws Exception {
        Path pipe = blockingFile();
        Path report = dir.resolve("r.json");
        signalWhileReading(List.of("run", "--report", report.toString(), "--config", pipe.toString(),
                        Supervisor.TASKS.toString(), "--", "hello"), pipe, "INT", 130,
                "got SIGINT while reading the config file " + pipe, report);
    }

    @Test
    void poolSigtermWhileTheConfigFileBlocksInARead(@TempDir Path dir) throws Exception {
        Path pipe = blockingFile();
        Path report = dir.resolve("r.json");
        signalWhileReading(List.of("pool", "--report", report.toString(), "--config", pipe.toString(),
                        "--output", dir.resolve("out").toString(), Supervisor.TASKS.toString()), pipe, "TERM", 143,
                "got SIGTERM while reading the config file " + pipe, report);
    }

    /**
     * A signal while the launcher (bash) runs: it is recorded, handed to the JVM, and no task is
     * spawned. The launcher, reached through a symlink, is held in its {@code readlink -f}: one
     * first on PATH that waits for this test's word.
     */
    @Test
    void sigtermWhileTheLauncherRunsStartsNoTask(@TempDir Path dir) throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Path readlink = bin.resolve("readlink");
        Files.writeString(readlink, "#!/bin/sh\n: > '" + dir + "/started'\n"
                + "while [ ! -e '" + dir + "/go' ]; do sleep 0.01; done\nexec /usr/bin/readlink \"$@\"\n");
        readlink.toFile().setExecutable(true);
        Path link = Files.createSymbolicLink(dir.resolve("supervisor"), Supervisor.LAUNCHER.toAbsolutePath());
        Path report = dir.resolve("r.json");
        try (Supervisor s = Supervisor.builder("run", "--report", report.toString(), Supervisor.TASKS.toString(), "--", "hello")
                .launcher(link).route(Route.TREE).environment("PATH", bin + ":" + System.getenv("PATH")).start()) {
            Await.until(LONG, "the launcher in its readlink", () -> Files.exists(dir.resolve("started")));
            s.signal("TERM");
            Files.createFile(dir.resolve("go"));
            assertEquals(143, s.exitCode(LONG), s.stderr());
            assertEquals("supervisor: got SIGTERM at start-up; nothing was started\n", s.stderr());
            assertEquals("", s.stdout(), "the task never ran");
            String json = Files.readString(report);
            assertTrue(json.contains("\"outcome\": \"signal\""), json);
            assertTrue(json.contains("\"pid\": null"), json);
            Procs.assertNoneLeft(s.testEnv(), LONG);
        }
    }

    /**
     * SIGINT during the thread dump at a timeout, while the dump waits for a frozen JVM (which
     * would hold it for its whole 2 s): the dump ends at once, the signal's line is printed, and
     * "sending SIGTERM" is printed when it is sent, after the dump, not before it.
     */
    @Test
    void sigintDuringTheTimeoutsThreadDumpActsAtOnce(@TempDir Path dir) throws Exception {
        Optional<Path> cgroups = Cgroups.writableV2Parent();
        Assumptions.assumeTrue(cgroups.isPresent(), "needs a writable cgroup2 to freeze a JVM");
        // The premise is a race this test can lose on a loaded machine: the SIGINT must land
        // within the dump's 2 s. An attempt whose signal came after the dump had ended checks
        // nothing; it is tried again, up to three times. One that came in time is checked whole.
        for (int attempt = 1; attempt <= 3; attempt++) {
            if (sigintDuringTheDump(cgroups.get(), Files.createDirectories(dir.resolve("attempt-" + attempt)))) {
                return;
            }
        }
        fail("three times the SIGINT came after the dump had ended: the machine is too loaded to test this");
    }

    /** One attempt; false when the signal came too late for the premise. */
    private boolean sigintDuringTheDump(Path cgroupParent, Path dir) throws Exception {
        Optional<Path> cgroups = Optional.of(cgroupParent);
        Path frozen = cgroups.get().resolve("earlysignalit-" + UUID.randomUUID());
        List<Integer> pids = new ArrayList<>();
        try (Supervisor s = Supervisor.builder("run", "--timeout", "6s", "--grace", "5s",
                        Supervisor.TASKS.toString(), "--", "jvm-tree", "-")
                .route(Route.TREE).directory(dir).environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            Await.until(LONG, "the child JVM started", () -> s.stdout().contains("parent: 1 children ready"));
            int child = 0;
            for (ProcStat p : s.taskProcesses()) {
                if (Procs.cmdline(p.pid()).contains("jvm-child 0")) {
                    child = p.pid();
                }
                pids.add(p.pid());
            }
            assertTrue(child > 0, Procs.describe(s.taskProcesses()));
            Files.createDirectory(frozen);
            Files.writeString(frozen.resolve("cgroup.procs"), Integer.toString(child));
            Files.writeString(frozen.resolve("cgroup.freeze"), "1");
            int frozenChild = child;
            Await.until(LONG, "the child frozen", () -> Cgroups.value(frozen, "cgroup.events", "frozen") == 1);
            // The dump is under way once it has asked the frozen JVM: its trigger file is there.
            Await.until(LONG, "the dump asking the frozen JVM", () -> Files.exists(Path.of("/tmp/.attach_pid" + frozenChild))
                    || Files.exists(Path.of("/proc/" + frozenChild + "/cwd/.attach_pid" + frozenChild)));
            long sent = System.nanoTime();
            assertFalse(s.stderr().contains("sending SIGTERM"), "not said before it is sent: " + s.stderr());
            s.signal("INT");
            assertEquals(124, s.exitCode(LONG), s.stderr());
            long millis = (System.nanoTime() - sent) / 1_000_000;
            String err = s.stderr();
            if (!err.contains("no thread dump: got SIGINT") && err.contains("supervisor: thread dump of ")) {
                return false; // the dump had ended before the signal landed: no premise
            }
            // Acted on at once: the dump was given up for the signal (the old code waited out its 2 s
            // for the frozen JVM, then took the signal). Said by the line below, not by a time: CI at
            // load 35 took 2.0 s to end where a quiet machine takes a few hundred ms.
            System.out.println("EarlySignalIT: ended " + millis + " ms after SIGINT");
            assertTrue(err.contains("supervisor: no thread dump: got SIGINT while it was taken\n"), err);
            int dumpLine = err.indexOf("no thread dump: got SIGINT");
            int sending = err.indexOf("supervisor: timeout 6s expired: sending SIGTERM");
            int got = err.indexOf("supervisor: got SIGINT while the task was stopping: killing the task");
            assertTrue(dumpLine >= 0 && sending > dumpLine && got > sending, err);
        } finally {
            if (Files.isDirectory(frozen)) {
                Files.writeString(frozen.resolve("cgroup.freeze"), "0");
                Await.until(LONG, "the frozen child gone", () -> Cgroups.value(frozen, "cgroup.events", "populated") == 0);
                Files.delete(frozen);
            }
        }
        for (int pid : pids) {
            assertFalse(Files.exists(Path.of("/tmp/.attach_pid" + pid)), "no trigger file left for " + pid);
        }
        return true;
    }
}
