package supervisor.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.RunsAlone;
import supervisor.testing.Supervisor;

/**
 * Issue 28, the {@code supervisor run} path: each escape a hostile task tries
 * (test-tasks/src/main/sh/escape.sh) is refused under {@code --sandbox}, while the task still
 * starts, writes its working directory and private tmp, reports its own exit exactly and is
 * stopped completely (a program with no SIGTERM handler included). A few controls run the same
 * escape without the sandbox, to show the test would see it. Real processes, as root; each run
 * proves nothing of it is left (Supervisor.close).
 */
class RunSandboxIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static Escapes escapes;

    @BeforeAll
    static void hostile() throws Exception {
        Assumptions.assumeTrue(Procs.isRoot(), "the sandbox's user switch and namespaces need root (CI runs as root)");
        escapes = Escapes.make();
    }

    @AfterAll
    static void removeHostile() throws Exception {
        if (escapes != null) {
            escapes.remove();
        }
    }

    private static Supervisor sandboxed(List<String> options, String... escape) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--sandbox", "--temp-workdir", "--private-tmp"));
        args.addAll(options);
        args.addAll(escapes.task(escape));
        return Supervisor.builder(args.toArray(String[]::new)).start();
    }

    /** Runs one escape under --sandbox: it must say "held". */
    private static String held(String... escape) throws Exception {
        try (Supervisor s = sandboxed(List.of(), escape)) {
            assertEquals(0, s.exitCode(LONG), s.stdout() + s.stderr());
            assertTrue(s.stdout().startsWith("held: "), s.stdout() + s.stderr());
            return s.stdout();
        }
    }

    /** The same escape without a sandbox: it must get out, or the test proves nothing. */
    private static void escapesWithout(String... escape) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--private-tmp"));
        args.addAll(escapes.task(escape));
        try (Supervisor s = Supervisor.builder(args.toArray(String[]::new)).start()) {
            assertEquals(1, s.exitCode(LONG), s.stdout() + s.stderr());
            assertTrue(s.stdout().startsWith("ESCAPED: "), s.stdout());
        }
    }

    @Test
    void runRefusesReadingAFileOnlyRootMayRead() throws Exception {
        escapesWithout("read", escapes.secret.toString());
        assertTrue(held("read", escapes.secret.toString()).contains("Permission denied"));
    }

    @Test
    void runRefusesWritingOutsideTheAllowedPaths() throws Exception {
        escapesWithout("write", escapes.open.toString());
        assertTrue(held("write", escapes.open.toString()).contains("Read-only file system"));
        held("write", "/usr/lib");
        held("write", "/var/tmp");
        held("write", "/dev/shm/../../run");
    }

    @Test
    void runRefusesConnectingToAListenerOnTheHostsLoopback() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String port = Integer.toString(listener.getLocalPort());
            escapesWithout("connect", port);
            held("connect", port);
        }
    }

    @Test
    void runRefusesSeeingOrSignallingAHostProcess() throws Exception {
        String self = Long.toString(ProcessHandle.current().pid());
        escapesWithout("see", self);
        String said = held("see", self);
        Matcher m = Pattern.compile("(\\d+) processes in /proc").matcher(said);
        assertTrue(m.find(), said);
        assertTrue(Integer.parseInt(m.group(1)) <= 2, "sees only its own tree (its init and itself): " + said);
    }

    @Test
    void runRefusesPrivilegesThroughASetuidBinary() throws Exception {
        held("setuid", escapes.setuidId.toString());
    }

    @Test
    void runRefusesPrivilegesThroughAFileCapabilityBinary() throws Exception {
        Assumptions.assumeTrue(escapes.capCat != null, escapes.capWhy);
        held("filecap", escapes.capCat.toString(), "/etc/shadow");
    }

    @Test
    void runHoldsForksInsideThePidNamespaceToMaxProcs() throws Exception {
        try (Supervisor s = sandboxed(List.of("--max-procs", "6"), "fork", "40")) {
            s.exitCode(LONG);
            Matcher m = Pattern.compile("forked (\\d+)\n$").matcher(s.stdout());
            assertTrue(m.find(), s.stdout() + s.stderr());
            int forked = Integer.parseInt(m.group(1));
            assertTrue(forked <= 5, "the shell and at most 5 children: " + s.stdout());
            assertTrue(s.stderr().contains("process limit 6"), s.stderr());
        }
    }

    @Test
    void runLeavesNoProcessBehindAfterTheStop() throws Exception {
        try (Supervisor s = sandboxed(List.of("--grace", "1s"), "leave")) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertTrue(s.stdout().contains("left a setsid'ed sleep behind"), s.stdout());
        } // close: nothing with the run's marker is left, the setsid'ed sleep included
        assertTrue(Procs.isRoot());
    }

    @Test
    void runStillStartsAndWritesItsWorkingDirectoryAndTmp() throws Exception {
        try (Supervisor s = sandboxed(List.of(), "writable")) {
            assertEquals(0, s.exitCode(LONG), s.stdout() + s.stderr());
            assertTrue(s.stdout().startsWith("wrote the working directory /tmp/supervisor-task-"), s.stdout());
        }
    }

    @Test
    void runStopsAProgramWithNoSigtermHandlerAtOnce() throws Exception {
        // sleep catches nothing: were it its namespace's PID 1, the kernel would drop SIGTERM and
        // only the SIGKILL after the grace would end it.
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--timeout", "1s", "--grace", "30s", "--no-thread-dump",
                "--", "sleep", "1000").start()) {
            long start = System.nanoTime();
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos(), "ended by SIGTERM, not the grace's SIGKILL");
            assertFalse(s.stderr().contains("SIGKILL"), s.stderr());
        }
    }

    @Test
    void runReportsTheTasksOwnExitAndSignalExactly() throws Exception {
        for (String[] c : new String[][] {{"exit 143", "143"}, {"kill -TERM $$", "143"}, {"kill -KILL $$", "137"},
                {"kill -SEGV $$", "139"}, {"exit 0", "0"}, {"sleep 1000 & exit 4", "4"}}) {
            String plain;
            try (Supervisor s = Supervisor.builder("run", "--", "sh", "-c", c[0]).start()) {
                assertEquals(Integer.parseInt(c[1]), s.exitCode(LONG), c[0] + ": " + s.stderr());
                plain = s.stderr();
            }
            try (Supervisor s = Supervisor.builder("run", "--sandbox", "--", "sh", "-c", c[0]).start()) {
                assertEquals(Integer.parseInt(c[1]), s.exitCode(LONG), c[0] + ": " + s.stderr());
                assertEquals(plain, s.stderr(), c[0] + ": the same words with and without the sandbox");
            }
        }
    }

    @Test
    @RunsAlone // the host's mount table is the machine's: another test's bind mount would show here
    void runLeavesTheHostsMountsAsTheyWere() throws Exception {
        String before = mounts();
        held("write", "/usr/lib");
        assertEquals(before, mounts());
    }

    private static String mounts() throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo"));
    }

    @Test
    void runRefusesAWorkingDirectoryTheTasksUserCannotWrite() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--workdir", escapes.dir.toString(), "--", "true").start()) {
            assertEquals(125, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().matches("supervisor: sandbox: the working directory .* is not writable by the task's user \\d+ .*\n"),
                    s.stderr());
        }
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--workdir", escapes.open.toString(),
                "--", "sh", "-c", "echo x > here && echo wrote").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("wrote\n", s.stdout());
        }
    }

    @Test
    void runRefusesAUserThatDoesNotExistInOneLine() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--sandbox-user", "no-such-user", "--", "true").start()) {
            assertEquals(125, s.exitCode(LONG), s.stderr());
            assertEquals("supervisor: sandbox: no user named no-such-user in /etc/passwd\n", s.stderr());
        }
    }

    @Test
    void runTakesBackAKeptWorkingDirectoryFromTheDynamicUser() throws Exception {
        Path kept;
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--temp-workdir", "--keep-workdir",
                "--", "sh", "-c", "echo x > mine").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            Matcher m = Pattern.compile("kept the task's working directory (\\S+)").matcher(s.stderr());
            assertTrue(m.find(), s.stderr());
            kept = Path.of(m.group(1));
        }
        try {
            assertEquals(0, ((Number) Files.getAttribute(kept, "unix:uid")).intValue(), "the supervisor's again");
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(kept)));
            assertTrue(Files.exists(kept.resolve("mine")), "what the task wrote is kept");
        } finally {
            Escapes.exec("rm", "-rf", kept.toString());
        }
    }

    @Test
    void runRefusesTcpReadinessInANetworkOfItsOwnAsAUsageError() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--ready", "tcp:8080", "--", "true").start()) {
            assertEquals(2, s.exitCode(LONG), s.stderr());
            assertEquals("supervisor: --ready tcp:8080 needs the task on the host's network: with --sandbox, add"
                    + " --sandbox-network host\n", s.stderr());
        }
    }

    @Test
    void runTakesTheSandboxFromItsVariableAndEachPartOnItsOwn() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--", "sh", "-c", "id -u; cat /proc/self/status | grep NoNewPrivs")
                .environment("SUPERVISOR_SANDBOX", "yes").environment("SUPERVISOR_SANDBOX_USER", "nobody").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("65534\nNoNewPrivs:\t1\n", s.stdout());
        }
        String self = Long.toString(ProcessHandle.current().pid());
        try (Supervisor s = Supervisor.builder("run", "--sandbox-pids", "private", "--",
                "sh", "-c", "id -u; [ -e /proc/" + self + " ] && echo sees || echo blind; f=/tmp/sandbox-it-$$;"
                + " : > $f && rm $f && echo wrote").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("0\nblind\nwrote\n", s.stdout(), "only the pid namespace: root, the host's files");
        }
    }

    @Test
    void runFreesItsDynamicUserWhenTheSupervisorIsKilled() throws Exception {
        int uid;
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--", "sh", "-c", "echo started; exec sleep 1000").start()) {
            s.awaitStdout("started", LONG);
            uid = -1;
            for (var p : s.taskProcesses()) {
                int u = ((Number) Files.getAttribute(Path.of("/proc", Integer.toString(p.pid())), "unix:uid")).intValue();
                if (u >= 61184) {
                    uid = u;
                }
            }
            assertTrue(uid >= 61184 && uid <= 65519, "a task process with a dynamic uid: " + s.taskProcesses());
            Supervisor.kill("KILL", s.pid());
            s.exitCode(LONG);
            // The guardian kills the tree; the lock is the kernel's to drop with the supervisor.
            Await.until(LONG, "the task's tree gone", () -> s.taskProcesses().isEmpty());
        }
        try (FileChannel c = FileChannel.open(Path.of("/run/supervisor/dynamic-uid", Integer.toString(uid)),
                StandardOpenOption.WRITE); FileLock lock = c.tryLock()) {
            assertTrue(lock != null, "uid " + uid + " is free again");
        }
    }

    /** The launcher run as nobody: a supervisor without root. */
    /**
     * A wrapper that runs the launcher as nobody. The launcher and its jars are copied, in the
     * installed layout, to a new directory of /var/tmp that every user can read: the checkout may
     * sit in a directory only root may enter (CI's clone does). {@code copy}: that directory.
     */
    private static Path asNobody(Path dir, Path copy) throws Exception {
        Path target = Path.of("target").toAbsolutePath();
        Files.createDirectories(copy.resolve("bin"));
        Files.createDirectories(copy.resolve("lib"));
        assertEquals(0, Escapes.exec("cp", "-p", Supervisor.LAUNCHER.toAbsolutePath().normalize().toString(),
                copy.resolve("bin/supervisor").toString()));
        assertEquals(0, Escapes.exec("cp", "-pR", target.resolve("supervisor.jar").toString(),
                target.resolve("guardian.sh").toString(), target.resolve("jvm.args").toString(),
                target.resolve("lib").toString(), copy.resolve("lib").toString()));
        assertEquals(0, Escapes.exec("chmod", "-R", "a+rX", copy.toString()));
        Path wrapper = dir.resolve("supervisor-as-nobody");
        Files.writeString(wrapper, "#!/bin/sh\nexec setpriv --reuid 65534 --regid 65534 --clear-groups env HOME=/ "
                + copy.resolve("bin/supervisor") + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        return wrapper;
    }

    @Test
    void runWithoutRootRefusesAnotherUserInOneLineOrRunsWithoutItAsBestEffort(@TempDir Path dir) throws Exception {
        Path copy = Files.createTempDirectory(Path.of("/var/tmp"), "supervisor-launcher-");
        try {
            runAsNobody(asNobody(dir, copy));
        } finally {
            assertEquals(0, Escapes.exec("rm", "-rf", copy.toString()));
        }
    }

    private void runAsNobody(Path nobody) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--", "true").launcher(nobody).directory(Path.of("/")).start()) {
            assertEquals(125, s.exitCode(LONG), s.stderr());
            assertEquals("supervisor: sandbox: cannot have the task's user dynamic: switching users needs root"
                    + " (--sandbox-best-effort runs without it)\n", s.stderr());
        }
        // The namespaces from a user namespace, where the kernel allows one: the host's files stay
        // read-only, the host's processes out of sight.
        Assumptions.assumeTrue(Escapes.exec("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                "unshare", "--user", "--map-root-user", "--mount", "--pid", "--net", "true") == 0,
                "this kernel gives no user namespace to a user other than root");
        String self = Long.toString(ProcessHandle.current().pid());
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--sandbox-best-effort", "--", "sh", "-c",
                        "[ -e /proc/" + self + " ] && echo sees || echo blind; touch /usr/lib/escape-$$ 2>/dev/null && echo wrote || echo read-only")
                .launcher(nobody).directory(Path.of("/")).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("supervisor: sandbox: running without the task's user dynamic: switching users needs root"
                    + " (best effort)\n", s.stderr());
            assertEquals("blind\nread-only\n", s.stdout());
        }
    }

    @Test
    void runTakesAThreadDumpOfAJvmTaskInItsSandbox(@TempDir Path dumps) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--sandbox", "--timeout", "3s", "--grace", "5s",
                        "--dump-dir", dumps.toString(), Supervisor.TASKS.toString(), "--", "hang")
                .environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("thread dump"), s.stderr());
        }
        try (var files = Files.list(dumps)) {
            assertTrue(files.findAny().isPresent(), "a dump file in " + dumps);
        }
    }
}
