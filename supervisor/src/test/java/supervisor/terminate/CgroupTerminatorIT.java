package supervisor.terminate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import supervisor.platform.Cgroups;
import supervisor.platform.Platform;
import supervisor.platform.Posix;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;
import supervisor.platform.Signal;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/** The cgroup mechanism, where this machine has a writable cgroup2 hierarchy (root, in CI). */
class CgroupTerminatorIT {
    private static final Duration PATIENCE = Duration.ofSeconds(5);
    private static final int SELF = (int) ProcessHandle.current().pid();
    /** When this test began: older zombies of this JVM are an earlier class's (Procs.zombieChildrenSince). */
    private final long since = Procs.ticksNow();
    /** Waits for a line on stdin, so that it forks only once it is in the leaf. */
    private static final String HOSTILE =
            "read go; sleep 51 & setsid sleep 52 & (setsid sleep 53 &); trap '' TERM; exec sleep 54";
    private static final Set<String> HOSTILE_PROCESSES = Set.of("sleep 51", "sleep 52", "sleep 53", "sleep 54");

    private static Posix posix;

    private final String marker = UUID.randomUUID().toString();
    private final String markerEntry = TaskTree.MARKER_VARIABLE + "=" + marker;
    private Path leaf;
    private Process root;

    @BeforeAll
    static void needsACgroup() {
        assumeTrue(Cgroups.writableV2Parent().isPresent(),
                "no writable cgroup2 hierarchy: needs root or Delegate=yes");
        posix = Platform.posix();
    }

    @BeforeEach
    void startInALeaf() throws IOException {
        leaf = Cgroups.createUnique(Cgroups.writableV2Parent().orElseThrow(), "supervisor-test");
        CgroupLeaf.adopt(leaf);
        assertTrue(Files.isDirectory(leaf));
        ProcessBuilder b = new ProcessBuilder("setsid", "sh", "-c", HOSTILE)
                .redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD);
        b.environment().put(TaskTree.MARKER_VARIABLE, marker);
        root = b.start();
        Cgroups.admit(leaf, (int) root.pid());
    }

    @AfterEach
    void leaveNothingBehind() throws Exception {
        if (root != null) {
            for (ProcStat p : Procs.withEnv(markerEntry)) {
                posix.signal(p.id(), Signal.KILL);
            }
            root.destroyForcibly();
            assertTrue(root.waitFor(5, TimeUnit.SECONDS));
            Procs.assertNoneLeft(markerEntry, PATIENCE);
            int rootPid = (int) root.pid();
            Await.until(PATIENCE, "no zombie children of this JVM", () -> {
                Reaper.reapZombieChildren(posix, pid -> pid == rootPid);
                return Procs.zombieChildrenSince(SELF, since).isEmpty();
            });
        }
        if (leaf != null && Files.exists(leaf)) {
            Await.until(PATIENCE, "leaf " + leaf + " removed", () -> {
                try {
                    Files.deleteIfExists(leaf);
                    return true;
                } catch (IOException e) {
                    return false;
                }
            });
        }
    }

    private void go() throws IOException {
        try (OutputStream in = root.getOutputStream()) {
            in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private Set<Integer> leafPids() throws IOException {
        Set<Integer> pids = new HashSet<>();
        for (String line : Files.readAllLines(leaf.resolve("cgroup.procs"))) {
            pids.add(Integer.parseInt(line.trim()));
        }
        return pids;
    }

    /** The live processes carrying this test's marker, by command line, once all are up. */
    private Map<String, ProcStat> awaitHostileTree() {
        Await.until(PATIENCE, "the tree is up", () -> {
            Set<String> up = new HashSet<>();
            Procs.withEnv(markerEntry).forEach(p -> up.add(Procs.cmdline(p.pid())));
            return up.containsAll(HOSTILE_PROCESSES);
        });
        Map<String, ProcStat> out = new HashMap<>();
        Procs.withEnv(markerEntry).forEach(p -> out.put(Procs.cmdline(p.pid()), p));
        return out;
    }

    private Terminator terminator() {
        ProcessId id = ProcFs.id((int) root.pid()).orElseThrow();
        try {
            return new CgroupTerminator(CgroupLeaf.adopt(leaf),
                    new TreeTerminator(new TaskTree(id, marker, false, pid -> false), pid -> pid == id.pid()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void killEmptiesTheLeafAndCloseRemovesIt() throws Exception {
        go();
        Map<String, ProcStat> tree = awaitHostileTree();
        Set<Integer> inLeaf = leafPids();
        for (String cmd : HOSTILE_PROCESSES) {
            assertTrue(inLeaf.contains(tree.get(cmd).pid()), cmd + " is in the leaf: " + inLeaf);
        }
        Terminator terminator = terminator();
        assertEquals("cgroup " + leaf, terminator.mechanism());
        assertFalse(terminator.empty());

        KillReport report = terminator.kill(System.nanoTime() + PATIENCE.toNanos());

        assertTrue(report.complete(), "survivors: " + report.survivors());
        assertTrue(report.killed() >= HOSTILE_PROCESSES.size(), "killed " + report.killed());
        assertEquals(List.of(), Procs.withEnv(markerEntry), "alive after kill() returned");
        assertEquals(Set.of(), leafPids());
        assertTrue(terminator.empty());
        assertTrue(root.waitFor(5, TimeUnit.SECONDS));
        assertEquals(128 + Signal.KILL, root.exitValue());

        terminator.close();
        assertFalse(Files.exists(leaf), "close() removes " + leaf);
    }

    @Test
    void aProcessMovedOutOfTheLeafIsKilledByTheSweep() throws Exception {
        go();
        Map<String, ProcStat> tree = awaitHostileTree();
        // Only root can move a process out: a task running as root could do this to itself.
        ProcStat escapee = tree.get("sleep 53");
        Files.writeString(leaf.getParent().resolve("cgroup.procs"), Integer.toString(escapee.pid()));
        assertFalse(leafPids().contains(escapee.pid()));
        Terminator terminator = terminator();

        KillReport report = terminator.kill(System.nanoTime() + PATIENCE.toNanos());

        assertTrue(report.complete(), "survivors: " + report.survivors());
        assertFalse(ProcFs.alive(escapee.id()), "the escapee survived");
        assertEquals(List.of(), Procs.withEnv(markerEntry));
        terminator.close();
        assertFalse(Files.exists(leaf));
    }
}
