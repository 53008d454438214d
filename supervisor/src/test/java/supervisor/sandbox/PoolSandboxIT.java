package supervisor.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import supervisor.pool.CallTimeoutException;
import supervisor.pool.PoolSettings;
import supervisor.pool.WorkerPool;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * Issue 28, the pool worker path (the library's PoolSettings.sandbox; the CLI's pool builds the
 * same settings): the escapes of escape.sh tried from inside a sandboxed worker JVM, by a call
 * that runs it as the worker's child, and from the worker's own Java code. Each is refused; the
 * worker still starts, answers, writes its tmp and working directory, and the pool's shutdown
 * leaves nothing. One pool for the whole class: a worker JVM's start is the cost here.
 */
class PoolSandboxIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String TEST_ID = UUID.randomUUID().toString();
    private static final ConcurrentLinkedQueue<String> OUTPUT = new ConcurrentLinkedQueue<>();
    private static Escapes escapes;
    private static WorkerPool pool;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Procs.isRoot(), "the sandbox's user switch and namespaces need root (CI runs as root)");
        escapes = Escapes.make();
        pool = WorkerPool.start(PoolSettings.forClassPath().workers(1)
                .environment("SUPERVISOR_TEST_ID", TEST_ID)
                .jvmOption("-Xmx64m").jvmOption("-XX:TieredStopAtLevel=1")
                .grace(Duration.ofMillis(500))
                .maxProcesses(40)
                .sandbox(Sandbox.strict())
                .workerOutput(OUTPUT::add).build());
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
        }
        if (escapes != null) {
            escapes.remove();
        }
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + TEST_ID, Duration.ofSeconds(10));
    }

    /** escape.sh run by the worker, as its child: its stdout. The script's path comes from here. */
    static String escape(List<String> args) {
        List<String> command = new ArrayList<>(List.of("sh"));
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> withScript(String... args) {
        List<String> a = new ArrayList<>(List.of(escapes.script.toString()));
        a.addAll(List.of(args));
        return a;
    }

    private static String held(String... args) {
        List<String> a = withScript(args);
        String out = pool.call(() -> escape(a), LONG);
        assertTrue(out.startsWith("held: "), out + " / worker output: " + OUTPUT);
        return out;
    }

    /**
     * A CANCEL reaches a call that runs in a sandboxed worker: its control channel, a FIFO the
     * supervisor makes in the worker's private tmp, opens for the task's user inside the
     * namespaces. The call stops at its timeout, so the worker is kept.
     */
    @Test
    void poolWorkerTakesACancelWhileACallRuns() {
        long pid = pool.call(() -> ProcessHandle.current().pid(), LONG);
        assertThrows(CallTimeoutException.class, () -> pool.call(() -> {
            Thread.sleep(60_000);
            return "slept";
        }, Duration.ofSeconds(1)));
        assertEquals(pid, pool.call(() -> ProcessHandle.current().pid(), LONG),
                "the worker stopped at its timeout and was kept; worker output: " + OUTPUT);
    }

    @Test
    void poolWorkerRefusesReadingAFileOnlyRootMayRead() {
        held("read", escapes.secret.toString());
        String secret = escapes.secret.toString();
        String direct = pool.call(() -> {
            try {
                return "ESCAPED: " + Files.readString(Path.of(secret));
            } catch (IOException e) {
                return "held: " + e;
            }
        }, LONG);
        assertTrue(direct.startsWith("held: "), direct);
    }

    @Test
    void poolWorkerRefusesWritingOutsideTheAllowedPaths() {
        held("write", escapes.open.toString());
        held("write", "/usr/lib");
    }

    @Test
    void poolWorkerRefusesConnectingToAListenerOnTheHostsLoopback() throws IOException {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            held("connect", Integer.toString(listener.getLocalPort()));
            int port = listener.getLocalPort();
            String direct = pool.call(() -> {
                try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
                    return "ESCAPED: connected";
                } catch (IOException e) {
                    return "held: " + e;
                }
            }, LONG);
            assertTrue(direct.startsWith("held: "), direct);
        }
    }

    @Test
    void poolWorkerRefusesSeeingOrSignallingAHostProcess() {
        long self = ProcessHandle.current().pid();
        String said = held("see", Long.toString(self));
        Matcher m = Pattern.compile("(\\d+) processes in /proc").matcher(said);
        assertTrue(m.find(), said);
        // Its init, the worker, the script, and what earlier calls left (a sleep, forks): never the host's.
        assertTrue(Integer.parseInt(m.group(1)) <= 20, said);
        boolean seen = pool.call(() -> ProcessHandle.of(self).isPresent(), LONG);
        assertTrue(!seen, "the worker sees the test's JVM");
    }

    @Test
    void poolWorkerRefusesPrivilegesThroughSetuidAndFileCapabilityBinaries() {
        held("setuid", escapes.setuidId.toString());
        if (escapes.capCat != null) {
            held("filecap", escapes.capCat.toString(), "/etc/shadow");
        }
        Assumptions.assumeTrue(escapes.capCat != null, escapes.capWhy);
    }

    @Test
    void poolWorkerHoldsForksInsideThePidNamespaceToMaxProcs() {
        List<String> a = withScript("fork", "200", "1");
        String out = pool.call(() -> escape(a), LONG);
        Matcher m = Pattern.compile("forked (\\d+)\n").matcher(out);
        int last = 0;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        // The worker JVM's threads count too: far fewer than 200 forks get through 40.
        assertTrue(last < 40, out);
        // Its children sleep 1 s: the worker can fork again once they are gone.
        List<String> writable = withScript("writable");
        Await.until(Duration.ofSeconds(20), "the worker forks again", () -> pool.call(() -> escape(writable), LONG).startsWith("wrote"));
    }

    @Test
    void poolWorkerStillWritesItsTmpAndWorkingDirectory() {
        List<String> a = withScript("writable");
        String out = pool.call(() -> escape(a), LONG);
        assertTrue(out.startsWith("wrote the working directory /tmp/supervisor-task-"), out);
        String tmp = pool.call(() -> {
            try {
                return Files.writeString(Files.createTempFile("x", ".tmp"), "x").toString();
            } catch (IOException e) {
                return "cannot: " + e;
            }
        }, LONG);
        assertTrue(tmp.startsWith("/tmp/supervisor-tmp-"), tmp);
        int uid = pool.call(PoolSandboxIT::uid, LONG);
        assertTrue(uid >= 61184 && uid <= 65519, "a dynamic user: " + uid);
    }

    static int uid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[1]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return -1;
    }

    @Test
    void poolCommandRunsItsWorkersSandboxed() throws Exception {
        Path worker = Path.of("../test-tasks/target/test-tasks-worker.jar").toAbsolutePath().normalize();
        try (Supervisor s = Supervisor.builder("pool", "--sandbox", "--workers", "1", worker.toString())
                .stdin("echo\necho\n".getBytes(StandardCharsets.UTF_8)).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals(2, s.stdout().lines().filter(l -> l.contains("\"status\":\"ok\"")).count(), s.stdout() + s.stderr());
        }
    }

    @Test
    void poolWorkerLeavesNoProcessBehindAfterTheStop() {
        List<String> a = withScript("leave");
        String out = pool.call(() -> escape(a), LONG);
        assertEquals("left a setsid'ed sleep behind\n", out);
        // The pool's shutdown (AfterAll) proves nothing with the test's marker is left.
    }
}
