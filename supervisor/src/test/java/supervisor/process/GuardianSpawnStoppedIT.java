package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * A replacement guardian stopped (SIGSTOP) while the JDK is still spawning it: the JDK's
 * {@code ProcessBuilder.start()} waits for its child to exec, and a child stopped before that
 * holds it without bound. The run and the pool must still end in their normal time, the stopped
 * child killed and nothing left.
 *
 * <p>The stop is real and comes at that very moment: the supervisor JVM runs on this JDK
 * through a {@code java.home} whose {@code lib/jspawnhelper} (what the JDK's default
 * {@code POSIX_SPAWN} mechanism runs between fork and the exec of the command) is a script that,
 * once a flag file exists, takes the flag and stops itself before it execs the real helper.
 * The flag is set just before the guardian is killed, so the spawn it stops is the replacement's.
 */
class GuardianSpawnStoppedIT {
    private static final Path JAR = Path.of("target", "supervisor.jar").toAbsolutePath();
    private static final String WORKER = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString();

    @TempDir
    Path dir;
    private Path home;
    private Path flag;
    private final String id = UUID.randomUUID().toString();
    private Process supervisor;
    private final StringBuilder err = new StringBuilder();

    @BeforeEach
    void javaHomeWithAStoppingSpawnHelper() throws IOException {
        Path real = Path.of(System.getProperty("java.home"));
        home = Files.createDirectories(dir.resolve("jdk"));
        flag = dir.resolve("stop-next-spawn");
        try (var entries = Files.list(real)) {
            for (Path e : entries.toList()) {
                if (!e.getFileName().toString().equals("lib")) {
                    Files.createSymbolicLink(home.resolve(e.getFileName()), e);
                }
            }
        }
        Path lib = Files.createDirectories(home.resolve("lib"));
        try (var entries = Files.list(real.resolve("lib"))) {
            for (Path e : entries.toList()) {
                if (!e.getFileName().toString().equals("jspawnhelper")) {
                    Files.createSymbolicLink(lib.resolve(e.getFileName()), e);
                }
            }
        }
        Path helper = lib.resolve("jspawnhelper");
        Files.writeString(helper, "#!/bin/sh\n"
                + "if mv " + flag + " " + flag + ".taken 2>/dev/null; then kill -STOP $$; fi\n"
                + "exec " + real.resolve("lib/jspawnhelper") + " \"$@\"\n");
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void killWhatIsLeft() {
        if (supervisor != null) {
            supervisor.destroyForcibly();
        }
        stoppedHelpers().forEach(s -> ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroyForcibly));
    }

    /** {@code supervisor run}: SIGTERM with the replacement stopped mid-spawn ends it at once, not after the grace. */
    @Test
    void run_endsInItsNormalTime_withAReplacementGuardianStoppedMidSpawn() throws Exception {
        start(false, "run", "--timeout", "60s", "--grace", "30s", Supervisor.TASKS.toString(), "--", "sh",
                "sleep 1041 & setsid sleep 1042 & echo ready >&2; exec sleep 1043", "hang");
        Await.until(Duration.ofSeconds(30), "the task says it is ready", () -> stderr().contains("ready"));
        int stoppedHelper = stopTheReplacementMidSpawn();
        long t0 = System.nanoTime();
        Supervisor.kill("TERM", supervisor.pid());
        assertTrue(supervisor.waitFor(10, TimeUnit.SECONDS), "the run did not end within 10 s of SIGTERM (grace 30 s);"
                + " stderr: " + stderr());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.println("run ended " + millis + " ms after SIGTERM, the replacement guardian stopped mid-spawn");
        assertEquals(143, supervisor.exitValue(), stderr());
        assertTrue(!stderr().contains("grace 30s expired") && !stderr().contains("left"), stderr());
        assertNothingLeft(stoppedHelper);
    }

    /** {@code supervisor pool}: its input's end with the replacement stopped mid-spawn ends it (it used to hang for good). */
    @Test
    void pool_endsInItsNormalTime_withAReplacementGuardianStoppedMidSpawn() throws Exception {
        start(true, "pool", "--workers", "1", WORKER);
        OutputStream in = supervisor.getOutputStream();
        in.write("echo one\n".getBytes(StandardCharsets.UTF_8));
        in.flush();
        String first = new BufferedReader(new InputStreamReader(supervisor.getInputStream(),
                StandardCharsets.UTF_8)).readLine();
        assertTrue(first != null && first.contains("\"ok\""), "the first call: " + first + "; stderr: " + stderr());
        int stoppedHelper = stopTheReplacementMidSpawn();
        in.write("echo two\n".getBytes(StandardCharsets.UTF_8));
        in.close();
        long t0 = System.nanoTime();
        assertTrue(supervisor.waitFor(15, TimeUnit.SECONDS), "the pool did not end within 15 s of its input's end;"
                + " stderr: " + stderr());
        System.out.println("pool ended " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)
                + " ms after its input's end, the replacement guardian stopped mid-spawn");
        assertEquals(0, supervisor.exitValue(), stderr());
        assertNothingLeft(stoppedHelper);
    }

    private void start(boolean pipeStdio, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("setsid", home.resolve("bin/java").toString(),
                "-Djava.home=" + home, "-Djdk.lang.Process.launchMechanism=POSIX_SPAWN",
                "-cp", JAR.toString(), "supervisor.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (!pipeStdio) {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        pb.environment().put("SUPERVISOR_TEST_ID", id);
        pb.environment().put("SUPERVISOR_THREAD_DUMP", "no");
        supervisor = pb.start();
        Thread reader = new Thread(() -> {
            try {
                byte[] buf = new byte[4096];
                int r;
                while ((r = supervisor.getErrorStream().read(buf)) > 0) {
                    synchronized (err) {
                        err.append(new String(buf, 0, r, StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                // the supervisor is gone
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    private String stderr() {
        synchronized (err) {
            return err.toString();
        }
    }

    /** Sets the flag, kills the guardian, and returns the spawn helper that stopped itself spawning its replacement. */
    private int stopTheReplacementMidSpawn() throws Exception {
        int guardian = guardianOf(supervisor.pid());
        assertTrue(guardian > 0, "no guardian child of the supervisor; stderr: " + stderr());
        Files.createFile(flag);
        Supervisor.kill("KILL", guardian);
        Await.until(Duration.ofSeconds(10), "the replacement's spawn helper stopped", () -> !stoppedHelpers().isEmpty());
        return stoppedHelpers().get(0).pid();
    }

    private void assertNothingLeft(int stoppedHelper) {
        String where = "; stderr: " + stderr();
        boolean clean = Await.within(Duration.ofSeconds(3), () -> ProcFs.stat(stoppedHelper).isEmpty()
                && Procs.withEnv("SUPERVISOR_TEST_ID=" + id).isEmpty() && guardians().isEmpty());
        assertTrue(ProcFs.stat(stoppedHelper).isEmpty(), "the stopped spawn helper " + stoppedHelper + " is left" + where);
        assertEquals(List.of(), Procs.withEnv("SUPERVISOR_TEST_ID=" + id).stream().map(s -> Procs.cmdline(s.pid())).toList(),
                "processes left" + where);
        assertEquals(List.of(), guardians().stream().map(ProcStat::pid).toList(), "guardians left" + where);
        assertTrue(clean);
    }

    /** This test's spawn helpers that are stopped. */
    private List<ProcStat> stoppedHelpers() {
        String helper = home.resolve("lib/jspawnhelper").toString();
        return ProcFs.scan().stream().filter(s -> s.isStopped() && Procs.cmdline(s.pid()).contains(helper)).toList();
    }

    /** Guardians of this test's supervisor: they carry its environment, less the task marker. */
    private List<ProcStat> guardians() {
        return Procs.withEnv("SUPERVISOR_TEST_ID=" + id).stream()
                .filter(s -> Procs.cmdline(s.pid()).contains("supervisor-guardian")).toList();
    }

    /** The live child of {@code parent} that runs guardian.sh, or -1. */
    private static int guardianOf(long parent) {
        for (ProcStat s : ProcFs.scan()) {
            if (s.ppid() == parent && !s.isDead() && Procs.cmdline(s.pid()).contains("supervisor-guardian")) {
                return s.pid();
            }
        }
        return -1;
    }
}
