package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;
import supervisor.terminate.TaskTree;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * {@link Guardian} driven directly, no launcher and no {@link SupervisedProcess}: a small JVM
 * ({@link Parent}) takes a lease on its guardian, records a directory and a marked child (which
 * leads its group and has a setsid child of its own), and waits. While it lives the guardian
 * touches nothing; once it is {@code kill -9}ed, the guardian kills the child and its setsid
 * child, removes the directory, and exits.
 */
class GuardianIT {
    private static final Duration CLEAN_WITHIN = Duration.ofSeconds(5);
    private static final Path CLASSES = Path.of("target", "supervisor.jar").toAbsolutePath();
    private static final Path TEST_CLASSES = Path.of("target", "test-classes").toAbsolutePath();

    private final String mark = "SUPERVISOR_TEST_MARK=" + UUID.randomUUID();
    private final String marker = Names.marker();
    private final Path dir = Path.of(System.getProperty("java.io.tmpdir"), "supervisor-guardian-it-" + UUID.randomUUID());
    private Process parent;

    /** The parent JVM: a lease, a recorded directory, a recorded child; then it waits to be killed. */
    public static final class Parent {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            String marker = args[1];
            Guardian.Lease lease = Guardian.lease();
            lease.dir(dir); // recorded before it exists, as SupervisedProcess does
            Files.createDirectory(dir);
            Files.writeString(dir.resolve("file"), "x");
            ProcessBuilder pb = new ProcessBuilder("setsid", "/bin/sh", "-c", "setsid sleep 1051 & exec sleep 1052")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put(TaskTree.MARKER_VARIABLE, marker);
            Process child = pb.start();
            ProcessId id = ProcFs.id((int) child.pid()).orElseThrow();
            lease.task(id, marker);
            if (args.length > 2 && args[2].equals("task-gone")) {
                // The recorded task ends first (as a task does by its parent-death signal when
                // the supervisor is killed): its setsid child, an orphan of init, is found only
                // by its marker.
                Await.until(Duration.ofSeconds(10), "the setsid child forked",
                        () -> Procs.withEnv(TaskTree.MARKER_VARIABLE + "=" + marker).size() == 2);
                child.destroyForcibly().waitFor();
            }
            System.out.println("ready " + child.pid());
            System.out.flush();
            while (true) {
                LockSupport.park(); // lives until killed: that is what the test does to it
            }
        }
    }

    @AfterEach
    void killWhatIsLeft() {
        if (parent != null) {
            parent.destroyForcibly();
        }
        Procs.withEnv(mark).forEach(s -> ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroyForcibly));
        Procs.assertNoneLeft(mark, CLEAN_WITHIN);
    }

    /** Starts the parent JVM; returns its child's pid once all is recorded. */
    private int startParent(String... mode) throws IOException {
        List<String> command = new ArrayList<>(List.of("setsid", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", CLASSES + ":" + TEST_CLASSES, Parent.class.getName(), dir.toString(), marker));
        command.addAll(List.of(mode));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        String[] kv = mark.split("=", 2);
        pb.environment().put(kv[0], kv[1]);
        parent = pb.start();
        String line = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertTrue(line != null && line.startsWith("ready "), "the parent JVM said " + line);
        return Integer.parseInt(line.substring("ready ".length()));
    }

    private List<ProcStat> marked() {
        return Procs.withEnv(TaskTree.MARKER_VARIABLE + "=" + marker);
    }

    /** The live child of the parent JVM that runs the guardian script, or -1. */
    private int guardian() {
        for (ProcStat s : ProcFs.scan()) {
            if (s.ppid() == parent.pid() && !s.isDead() && Procs.isGuardianCmdline(Procs.cmdline(s.pid()))) {
                return s.pid();
            }
        }
        return -1;
    }

    @Test
    void parentKilled_guardianKillsTheChildAndRemovesTheDirectory() throws Exception {
        int child = startParent();
        Await.until(CLEAN_WITHIN, "the child and its setsid child run", () -> marked().size() == 2);
        int guardian = guardian();
        assertTrue(guardian > 0, "no guardian child of the parent JVM (pid " + parent.pid() + ")");
        assertTrue(Files.isDirectory(dir));

        Supervisor.kill("KILL", parent.pid());
        assertTrue(parent.waitFor(10, TimeUnit.SECONDS), "the parent JVM did not die of SIGKILL");
        assertTrue(Await.within(CLEAN_WITHIN, () -> marked().isEmpty() && !Files.exists(dir)
                        && ProcFs.stat(guardian).map(ProcStat::isDead).orElse(true)),
                "after the parent's death: marked " + Procs.describe(marked()) + "; directory there: "
                        + Files.exists(dir) + "; guardian " + guardian + " there: " + ProcFs.stat(guardian).isPresent());
        assertTrue(ProcFs.stat(child).map(ProcStat::isDead).orElse(true), "the child " + child + " is left");
        assertEquals(List.of(), Procs.withCmdline("sleep 1051"), "the setsid grandchild is left");
    }

    @Test
    void parentKilledAfterItsTaskEnded_guardianFindsTheTasksOrphanByItsMarker() throws Exception {
        startParent("task-gone");
        Await.until(CLEAN_WITHIN, "the setsid child runs", () -> marked().size() == 1);
        Supervisor.kill("KILL", parent.pid());
        assertTrue(parent.waitFor(10, TimeUnit.SECONDS), "the parent JVM did not die of SIGKILL");
        assertTrue(Await.within(CLEAN_WITHIN, () -> marked().isEmpty() && !Files.exists(dir)),
                "after the parent's death: marked " + Procs.describe(marked()) + "; directory there: " + Files.exists(dir));
    }

    @Test
    void parentAlive_guardianDoesNothing() throws Exception {
        int child = startParent();
        Await.until(CLEAN_WITHIN, "the child and its setsid child run", () -> marked().size() == 2);
        int guardian = guardian();
        assertTrue(guardian > 0, "no guardian child of the parent JVM (pid " + parent.pid() + ")");
        // Nothing must happen: a second of looking is the test, not a wait for a condition.
        assertFalse(Await.within(Duration.ofSeconds(1), () -> marked().size() < 2 || !Files.exists(dir)
                        || ProcFs.stat(guardian).map(ProcStat::isDead).orElse(true)),
                "the guardian acted while its parent lives: marked " + Procs.describe(marked()) + "; directory there: "
                        + Files.exists(dir));
        assertTrue(Files.exists(dir.resolve("file")));
        assertTrue(ProcFs.stat(child).map(s -> !s.isDead()).orElse(false));
        // Then the parent goes, and with it all it recorded: the clean-up is checked above; here, nothing is left.
        Supervisor.kill("KILL", parent.pid());
        assertTrue(parent.waitFor(10, TimeUnit.SECONDS));
        assertTrue(Await.within(CLEAN_WITHIN, () -> marked().isEmpty() && !Files.exists(dir)), Procs.describe(marked()));
    }
}
