package supervisor.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Await;
import supervisor.testing.Supervisor;

/**
 * {@code run --health-file} and {@code supervisor probe}, the bridge to a kubelet's exec probes,
 * against real JVMs: an HTTP server (test-tasks' http-server, 127.0.0.1 only) that listens late,
 * SIGSTOP of its JVM, the server closing its port while its JVM lives on, and every probe a real
 * {@code supervisor probe} process, as the kubelet would run it.
 */
class HealthFileIT {
    private static final Duration LONG = Duration.ofSeconds(30);

    private static Supervisor run(Path healthFile, List<String> options, String... task) throws IOException {
        List<String> args = new ArrayList<>(List.of("run", "--health-file", healthFile.toString()));
        args.addAll(options);
        args.add(Supervisor.TASKS.toString());
        args.add("--");
        args.addAll(Arrays.asList(task));
        return Supervisor.builder(args.toArray(String[]::new)).start();
    }

    /** One probe, as a kubelet runs it: its status and its one line. */
    private record Probe(int status, String line, String stderr) {
    }

    private static Probe probe(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("probe"));
        all.addAll(Arrays.asList(args));
        try (Supervisor p = Supervisor.builder(all.toArray(String[]::new)).start()) {
            int status = p.exitCode(LONG);
            return new Probe(status, p.stdout().strip(), p.stderr());
        }
    }

    /** Probes until the probe's status is {@code status}; returns that probe. */
    private static Probe awaitProbe(int status, String... args) {
        Probe[] last = new Probe[1];
        Await.until(LONG, "supervisor probe " + String.join(" ", args) + " to exit " + status
                + " (last: " + Arrays.toString(last) + ")", () -> {
            try {
                last[0] = probe(args);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return last[0].status() == status;
        });
        return last[0];
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void get(int port, String path) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + path).openConnection();
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        try {
            assertEquals(200, c.getResponseCode());
        } finally {
            c.disconnect();
        }
    }

    /** Files in the directory, the health file's temporary ones included. */
    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void readyOnlyOnceTheServerAcceptsAndStaleWhileItsJvmIsStopped(@TempDir Path dir) throws Exception {
        Path health = dir.resolve("health");
        int port = freePort();
        try (Supervisor s = run(health, List.of("--ready", "tcp:" + port, "--grace", "5s"),
                "http-server", Integer.toString(port), "3000")) {
            Await.until(LONG, "the health file", () -> Files.exists(health));
            String before = s.stderr();
            Probe starting = probe("--ready", health.toString());
            assertFalse(before.contains("listening on"), "the server listens after 3 s: " + before);
            assertEquals(1, starting.status(), starting.toString());
            assertTrue(starting.line().startsWith("not ready: starting, waiting until 127.0.0.1:" + port
                    + " accepts connections (supervisor pid " + s.pid() + ")"), starting.line());
            // Alive while it starts: the start is --ready-timeout's to judge, not the liveness probe's.
            Probe aliveWhileStarting = probe("--alive", health.toString(), "--max-age", "5s");
            assertEquals(0, aliveWhileStarting.status(), aliveWhileStarting.toString());
            assertTrue(aliveWhileStarting.line().startsWith("alive: found healthy "), aliveWhileStarting.line());

            Probe ready = awaitProbe(0, "--ready", health.toString());
            // The file said ready only after a connection succeeded: the server accepts now.
            assertTrue(accepts(port), "ready, so 127.0.0.1:" + port + " accepts connections");
            assertTrue(s.stderr().contains("listening on"), s.stderr());
            assertTrue(ready.line().startsWith("ready: 127.0.0.1:" + port + " accepts connections, found healthy "),
                    ready.line());

            // The task JVM frozen: no new beat; not ready at once, not alive once the beat is older than --max-age.
            long task = s.taskJvm().pid();
            Supervisor.kill("STOP", task);
            Probe dead = awaitProbe(1, "--alive", health.toString(), "--max-age", "2s");
            assertTrue(dead.line().startsWith("not alive: last found healthy ")
                    && dead.line().contains("ago, more than 2s: the task is not responsive (frozen, stopped or gone)"),
                    dead.line());
            Probe notReady = probe("--ready", health.toString());
            assertEquals(1, notReady.status(), notReady.toString());
            assertTrue(notReady.line().startsWith("not ready: unhealthy: the task is not responsive"), notReady.line());
            s.awaitStderr("supervisor: the task is not responsive (frozen, stopped or gone): no longer beating in the"
                    + " health file '" + health + "'", LONG);
            Supervisor.kill("CONT", task);
            awaitProbe(0, "--ready", health.toString());
            s.awaitStderr("the task is healthy again", LONG);

            // The JVM lives on, its port closed: the same check as systemd's watchdog.
            get(port, "/stop");
            Probe closed = awaitProbe(1, "--ready", health.toString());
            assertTrue(closed.line().startsWith("not ready: unhealthy: the task is not healthy: nothing accepts"
                    + " connections on 127.0.0.1:" + port + " (--ready tcp:" + port + ")"), closed.line());
            awaitProbe(1, "--alive", health.toString(), "--max-age", "2s");

            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            // Removed at the end, and nothing of the supervisor's left beside it.
            assertEquals(List.of(), names(dir));
            Probe gone = probe("--alive", health.toString());
            assertEquals(1, gone.status(), gone.toString());
            assertTrue(gone.line().startsWith("not alive: '" + health + "' does not exist"), gone.line());
        }
    }

    @Test
    void aFileThatIsNotItsOwnIsNeverReplaced(@TempDir Path dir) throws Exception {
        Path foreign = Files.writeString(dir.resolve("foreign"), "precious\n");
        Path link = Files.createSymbolicLink(dir.resolve("link"), foreign);
        // A FIFO nobody opens: opening it to read or write would wait forever.
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        for (Path p : List.of(foreign, link, fifo)) {
            try (Supervisor s = run(p, List.of(), "exit", "0")) {
                assertEquals(2, s.exitCode(LONG), s.stderr());
                assertEquals(1, s.stderr().lines().count(), s.stderr());
                assertTrue(s.stderr().startsWith("supervisor: --health-file: '" + p + "' is "), s.stderr());
            }
        }
        assertEquals("precious\n", Files.readString(foreign));
        assertTrue(Files.isSymbolicLink(link));
        Probe onFifo = probe("--alive", fifo.toString());
        assertEquals(1, onFifo.status(), "answered at once, not blocked on the FIFO: " + onFifo);
        assertTrue(onFifo.line().startsWith("not alive: '" + fifo + "' is not a health file"), onFifo.toString());
        Files.delete(fifo);

        // A previous run's file (a container restarted, its volume kept) is taken over, and removed at the end.
        Path previous = Files.writeString(dir.resolve("previous"), HealthRecord.SIGNATURE + "\nstate=ready\nbeat=1\n");
        try (Supervisor s = run(previous, List.of(), "exit", "3")) {
            assertEquals(3, s.exitCode(LONG), s.stderr());
        }
        assertFalse(Files.exists(previous));

        // A file put in its place during the run is left alone, and the supervisor stops writing there.
        Path health = dir.resolve("health");
        try (Supervisor s = run(health, List.of(), "hang")) {
            awaitProbe(0, "--ready", health.toString());
            Path other = Files.writeString(dir.resolve("other"), "someone else's\n");
            Files.move(other, health, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            s.awaitStderr("supervisor: the health file '" + health + "' was replaced by another file, which the"
                    + " supervisor leaves alone", LONG);
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
        }
        assertEquals("someone else's\n", Files.readString(health));
        assertEquals(List.of("foreign", "health", "link"), names(dir));
    }

    @Test
    void theSettingComesFromTheEnvironmentOrTheConfigFileAndConfigShowsIt(@TempDir Path dir) throws Exception {
        Path fromEnv = dir.resolve("from-env");
        Path fromFile = dir.resolve("from-file");
        Path config = Files.writeString(dir.resolve("service.conf"), "health-file = " + fromFile + "\n");
        try (Supervisor shown = Supervisor.builder("config", "--config", config.toString()).start()) {
            assertEquals(0, shown.exitCode(LONG), shown.stderr());
            assertTrue(shown.stdout().lines().anyMatch(l -> l.startsWith("health-file") && l.contains(fromFile.toString())
                    && l.contains(config.toString())), shown.stdout());
        }
        try (Supervisor s = Supervisor.builder("run", "--config", config.toString(), Supervisor.TASKS.toString(), "--", "hang")
                .environment("SUPERVISOR_HEALTH_FILE", fromEnv.toString()).start()) {
            awaitProbe(0, "--ready", fromEnv.toString()); // the variable wins over the file
            assertFalse(Files.exists(fromFile));
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
        }
        try (Supervisor s = Supervisor.builder("run", "--config", config.toString(), Supervisor.TASKS.toString(), "--", "hang")
                .start()) {
            awaitProbe(0, "--ready", fromFile.toString());
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
        }
        assertEquals(List.of("service.conf"), names(dir));
    }

    @Test
    void aBadProbeCommandLineIsOneLineAndStatus2(@TempDir Path dir) throws Exception {
        for (List<String> args : List.<List<String>>of(List.of(), List.of("--ready", "a", "--alive", "a"),
                List.of("--alive", "a", "--max-age", "500ms"), List.of("--alive", dir.toString()), List.of("--ready"))) {
            Probe p = probe(args.toArray(String[]::new));
            assertEquals(2, p.status(), args + ": " + p);
            assertEquals(1, p.stderr().lines().count(), args + ": " + p);
            assertTrue(p.stderr().startsWith("supervisor: "), p.stderr());
            assertEquals("", p.line(), "nothing on stdout for a usage error");
        }
        Path notHealth = Files.writeString(dir.resolve("x"), "hello\n");
        Probe p = probe("--ready", notHealth.toString());
        assertEquals(1, p.status(), p.toString());
        assertEquals("not ready: '" + notHealth + "' is not a health file (it does not begin with '"
                + HealthRecord.SIGNATURE + "')", p.line());
    }
}
