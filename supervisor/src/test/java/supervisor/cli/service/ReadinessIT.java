package supervisor.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.DatagramListener;
import supervisor.pool.PoolSettings;
import supervisor.pool.WorkerPool;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * {@code --ready}, {@code --ready-timeout}, the watchdog as a health check, and
 * {@code --private-tmp}, against real JVMs: a real HTTP server (com.sun.net.httpserver, 127.0.0.1
 * only) that starts listening late, a task that speaks sd_notify itself (through perl, since a
 * JVM cannot send UNIX datagrams), and a real notify socket standing in for systemd's.
 */
class ReadinessIT {
    private static final Duration LONG = Duration.ofSeconds(30);

    private static Supervisor run(String notifySocket, String watchdogUsec, List<String> options, String... task)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("run", "-v"));
        args.addAll(options);
        args.add(Supervisor.TASKS.toString());
        args.add("--");
        args.addAll(Arrays.asList(task));
        Supervisor.Builder b = Supervisor.builder(args.toArray(String[]::new));
        if (notifySocket != null) {
            b.environment("NOTIFY_SOCKET", notifySocket);
        }
        if (watchdogUsec != null) {
            b.environment("WATCHDOG_USEC", watchdogUsec);
        }
        return b.start();
    }

    /** A port nothing listens on now (the kernel's pick), for the task to take. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String get(int port, String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        try {
            assertEquals(200, c.getResponseCode());
            return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }

    /** The seconds in "task ready after 1.234s" (or "...ms") from the supervisor's -v line. */
    private static double readyAfterSeconds(Supervisor s) {
        Matcher m = Pattern.compile("task ready after ([0-9.]+)(ms|s)").matcher(s.stderr());
        assertTrue(m.find(), s.stderr());
        double v = Double.parseDouble(m.group(1));
        return m.group(2).equals("ms") ? v / 1000 : v;
    }

    @Test
    void tcpReadinessSaysReadyOnlyOnceTheServerAccepts(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        int port = freePort();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, null, List.of("--ready", "tcp:" + port), "http-server", Integer.toString(port), "1000")) {
            DatagramListener.Received ready = systemd.await("READY=1", 30_000);
            // The moment systemd hears READY=1, the server answers: the unit is serving, not starting.
            assertEquals("hello\n", get(port, "/"));
            assertTrue(ready.text().contains("MAINPID=" + s.pid()), ready.text());
            assertTrue(ready.text().contains("STATUS=running test-tasks.jar"), ready.text());
            double after = readyAfterSeconds(s);
            assertTrue(after >= 1.0, "ready after " + after + " s, but the server listens only after 1 s");
            System.out.printf("--ready tcp: READY=1 %.3f s after the spawn (the server listens after 1 s)%n", after);
            assertTrue(s.stderr().contains("127.0.0.1:" + port + " accepts connections (--ready tcp:" + port + ")"), s.stderr());
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void aTaskNotReadyInTimeIsStoppedWith120(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        int port = freePort();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, null, List.of("--ready", "tcp:" + port, "--ready-timeout", "1500ms", "--grace", "2s"),
                     "http-server", Integer.toString(port), "600000")) {
            assertEquals(120, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("supervisor: task not ready within 1.5s (--ready tcp:" + port
                    + "): sending SIGTERM to the task"), s.stderr());
            DatagramListener.Received stopping = systemd.await("STOPPING=1", 5_000);
            assertTrue(stopping.text().contains("STATUS=stopping the task: not ready within 1.5s"), stopping.text());
            assertTrue(systemd.drain().stream().noneMatch(r -> r.text().contains("READY=1")), "never ready");
        }
    }

    @Test
    void fileReadinessWaitsForTheFileInTheTasksWorkingDirectory(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        Path work = Files.createDirectory(dir.resolve("work"));
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, null, List.of("--ready", "file:ready.flag", "--workdir", work.toString()),
                     "sh", "sleep 0.5; touch ready.flag", "hang")) {
            systemd.await("READY=1", 30_000);
            assertTrue(Files.exists(work.resolve("ready.flag")));
            assertTrue(readyAfterSeconds(s) >= 0.5, s.stderr());
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void notifyRelaysTheTasksReadyAndStatusAndNothingElse(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")), "the notify test task sends through perl");
        String socket = dir.resolve("notify").toString();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, null, List.of("--ready", "notify"), "notify",
                     "STATUS=warming up",
                     "MAINPID=1\nSTOPPING=1\nWATCHDOG=1\nEXTEND_TIMEOUT_USEC=1\nSTATUS=still warming",
                     "READY=1\nSTATUS=serving\nMAINPID=1")) {
            DatagramListener.Received ready = systemd.await("READY=1", 30_000);
            s.awaitStderr("ready\n", LONG); // the task has sent everything
            assertEquals(List.of("READY=1", "MAINPID=" + s.pid(), "STATUS=serving"), ready.text().lines().toList());
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            List<String> rest = systemd.drain().stream().map(DatagramListener.Received::text).toList();
            assertEquals(List.of("STOPPING=1", "STATUS=stopping the task: got SIGTERM"), rest.get(0).lines().toList(), rest.toString());
            assertTrue(s.stderr().contains("task ready after"), s.stderr());
            assertTrue(s.stderr().contains("ignored from the task's notify socket: MAINPID=..."), s.stderr());
        }
        // What came before READY=1: the two statuses, in order, and none of the rest.
    }

    @Test
    void notifyStatusesBeforeReadyAreRelayedInOrder(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")), "the notify test task sends through perl");
        String socket = dir.resolve("notify").toString();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, null, List.of("--ready", "notify"), "notify",
                     "STATUS=warming up", "MAINPID=1\nSTOPPING=1\nSTATUS=still warming", "READY=1")) {
            List<String> seen = new ArrayList<>();
            seen.add(systemd.await("STATUS=", 30_000).text());
            seen.add(systemd.await("STATUS=", 30_000).text());
            DatagramListener.Received ready = systemd.await("READY=1", 30_000);
            assertEquals(List.of("STATUS=warming up", "STATUS=still warming"), seen);
            assertTrue(ready.text().contains("STATUS=running test-tasks.jar"), ready.text());
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void theWatchdogStopsWhenTheServerStopsAccepting(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        int port = freePort();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, "400000", List.of("--ready", "tcp:" + port), "http-server", Integer.toString(port), "0")) {
            systemd.await("READY=1", 30_000);
            systemd.await("WATCHDOG=1", 5_000);
            systemd.await("WATCHDOG=1", 5_000);
            assertEquals("stopping\n", get(port, "/stop")); // the JVM lives on; it no longer serves
            s.awaitStderr("task: stopped listening", LONG);
            s.awaitStderr("the task is not healthy: nothing accepts connections on 127.0.0.1:" + port, LONG);
            systemd.drain();
            DatagramListener.Received late = systemd.next(700);
            assertTrue(late == null || !late.text().contains("WATCHDOG=1"), "beats stopped, got " + late);
            assertTrue(s.taskJvm().pid() > 0, "the task itself still runs");
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
        }
    }

    private static Path line(Supervisor s, String prefix) {
        return s.stdout().lines().filter(l -> l.startsWith(prefix)).map(l -> Path.of(l.substring(prefix.length())))
                .findFirst().orElseThrow(() -> new AssertionError("no " + prefix + " in " + s.stdout()));
    }

    @Test
    void aPrivateTmpIsTheTasksOwnAndGoesWithIt() throws Exception {
        Path systemTmp = Path.of(System.getProperty("java.io.tmpdir"));
        try (Supervisor s = Supervisor.builder("run", "--private-tmp", Supervisor.TASKS.toString(), "--", "tmpdir").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            Path tmp = line(s, "TMPDIR=");
            assertEquals(tmp, line(s, "java.io.tmpdir="));
            assertTrue(tmp.getFileName().toString().startsWith("supervisor-tmp-"), tmp.toString());
            assertEquals(systemTmp.toRealPath(), tmp.getParent().toRealPath());
            assertEquals(tmp, line(s, "made ").getParent());
            assertFalse(Files.exists(tmp), tmp + " is removed with what the task left in it");
        }
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "tmpdir").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertNotEquals("null", s.stdout().lines().filter(l -> l.startsWith("java.io.tmpdir=")).findFirst().orElse(""));
            assertFalse(s.stdout().contains("supervisor-tmp-"), "off by default for run: " + s.stdout());
            Files.deleteIfExists(line(s, "made "));
        }
    }

    @Test
    void thePrivateTmpAndNotifySocketGoAfterKill9OfTheSupervisor() throws Exception {
        Path tmp;
        Path notifyDir;
        try (Supervisor s = Supervisor.builder("run", "--private-tmp", "--ready", "notify", Supervisor.TASKS.toString(), "--",
                "tmpdir", "hang").start()) {
            s.awaitStdout("made ", LONG);
            tmp = line(s, "TMPDIR=");
            String environ = Files.readString(Path.of("/proc", Long.toString(s.taskJvm().pid()), "environ"));
            String notify = Arrays.stream(environ.split("\0")).filter(v -> v.startsWith("NOTIFY_SOCKET="))
                    .findFirst().orElseThrow().substring("NOTIFY_SOCKET=".length());
            notifyDir = Path.of(notify).getParent();
            assertTrue(Files.exists(Path.of(notify)), notify);
            assertTrue(Files.isDirectory(tmp));
            Supervisor.kill("KILL", s.pid());
            Await.until(Duration.ofSeconds(10), "the guardian to remove " + tmp + " and " + notifyDir,
                    () -> !Files.exists(tmp) && !Files.exists(notifyDir));
        }
    }

    @Test
    void aPoolWorkerHasAPrivateTmpGoneWithIt() throws Exception {
        String testId = UUID.randomUUID().toString();
        Path jar = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar");
        Path tmp;
        try (WorkerPool pool = WorkerPool.start(PoolSettings.builder(jar)
                .workers(1).environment("SUPERVISOR_TEST_ID", testId).jvmOption("-Xmx64m").build())) {
            List<String> said = new String(pool.submit("tmpdir".getBytes(StandardCharsets.UTF_8)).get(60,
                    TimeUnit.SECONDS), StandardCharsets.UTF_8).lines().toList();
            tmp = Path.of(said.get(0));
            assertEquals(tmp, Path.of(said.get(1)), "TMPDIR and java.io.tmpdir are the same");
            assertTrue(tmp.getFileName().toString().startsWith("supervisor-tmp-"), tmp.toString());
            try (var files = Files.list(tmp)) {
                assertEquals(1, files.count(), "the worker's file is in it");
            }
        }
        assertFalse(Files.exists(tmp), tmp + " is removed with the worker");
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
    }
}
