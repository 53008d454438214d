package supervisor.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.DatagramListener;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/** systemd integration against a real notify socket, as systemd would hold it. */
class SystemdIT {
    private static final Duration LONG = Duration.ofSeconds(30);

    private static Supervisor run(String notifySocket, String watchdogUsec, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "-v"));
        args.addAll(List.of(options));
        args.addAll(List.of(Supervisor.TASKS.toString(), "--", "hang"));
        Supervisor.Builder b = Supervisor.builder(args.toArray(String[]::new)).environment("NOTIFY_SOCKET", notifySocket);
        if (watchdogUsec != null) {
            b.environment("WATCHDOG_USEC", watchdogUsec);
        }
        return b.start();
    }

    @Test
    void notifiesReadyStatusAndStoppingOnAPathSocket(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, null, "--timeout", "1s")) {
            DatagramListener.Received ready = systemd.await("READY=1", 20_000);
            assertTrue(ready.text().contains("MAINPID=" + s.pid()), ready.text());
            assertTrue(ready.text().contains("STATUS=running test-tasks.jar (pid "), ready.text());
            DatagramListener.Received stopping = systemd.await("STOPPING=1", 20_000);
            assertTrue(stopping.text().contains("STATUS=stopping the task: timeout 1s expired"), stopping.text());
            assertEquals(124, s.exitCode(LONG));
        }
    }

    @Test
    void notifiesAnAbstractSocketToo() throws Exception {
        String socket = "@supervisor-test-" + UUID.randomUUID();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, null)) {
            systemd.await("READY=1", 20_000);
            s.signal("TERM"); // systemctl stop
            assertTrue(systemd.await("STOPPING=1", 20_000).text().contains("got SIGTERM"));
            assertEquals(143, s.exitCode(LONG));
        }
    }

    @Test
    void theWatchdogBeatsAtHalfTheIntervalAndStopsWhenTheTaskIsFrozen(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = run(socket, "400000")) {
            systemd.await("READY=1", 20_000);
            DatagramListener.Received first = systemd.await("WATCHDOG=1", 5_000);
            DatagramListener.Received last = first;
            int beats = 0;
            while (beats < 5) {
                last = systemd.await("WATCHDOG=1", 5_000);
                beats++;
            }
            double periodMs = (last.nanos() - first.nanos()) / 1e6 / beats;
            assertTrue(periodMs > 100 && periodMs < 500, "one beat every " + periodMs + " ms for 400 ms");
            System.out.printf("watchdog: one beat every %.0f ms (WATCHDOG_USEC=400000)%n", periodMs);

            Supervisor.kill("STOP", s.taskJvm().pid()); // frozen: no longer responsive
            s.awaitStderr("not responsive", LONG);
            systemd.drain();
            DatagramListener.Received late = systemd.next(700);
            assertTrue(late == null || !late.text().contains("WATCHDOG=1"), "beats stopped, got " + late);
            Supervisor.kill("CONT", s.taskJvm().pid());
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG));
        }
    }

    /** How many lines of stderr say that a notification failed: at most one, ever. */
    private static long notifyWarnings(Supervisor s) {
        return s.stderr().lines().filter(l -> l.contains("cannot notify systemd")).count();
    }

    @Test
    void aSocketNobodyReadsDoesNotStallTheTimeout(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        long timeout = 2;
        long grace = 2;
        try (DatagramListener unread = DatagramListener.unread(socket)) {
            long start = System.nanoTime();
            try (Supervisor s = run(socket, "400000", "--timeout", timeout + "s", "--grace", grace + "s")) {
                int status = s.exitCode(LONG);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("unread notify socket: --timeout %ds --grace %ds ended with %d after %.2f s%n",
                        timeout, grace, status, seconds);
                assertEquals(124, status, s.stderr());
                assertTrue(s.stderr().contains("timeout 2s expired: sending SIGTERM"), s.stderr());
                // JVM start-ups on a busy machine are the margin; a stalled loop would never end.
                assertTrue(seconds < timeout + grace + 10, "took " + seconds + " s");
                assertEquals(1, notifyWarnings(s), s.stderr());
            }
        }
    }

    @Test
    void aSocketNobodyReadsDoesNotStallSigterm(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        try (DatagramListener unread = DatagramListener.unread(socket);
             Supervisor s = run(socket, "400000")) {
            // the task runs, so READY=1 was attempted
            Await.until(LONG, "the task to say ready", () -> s.stderr().lines().anyMatch("ready"::equals));
            s.awaitStderr("cannot notify systemd", LONG);
            long start = System.nanoTime();
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            System.out.printf("unread notify socket: SIGTERM to exit in %.2f s%n", (System.nanoTime() - start) / 1e9);
            assertEquals(1, notifyWarnings(s), s.stderr());
        }
    }

    @Test
    void aNotifySocketThatDoesNotExistCostsOneWarning(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("no-such-dir/notify").toString();
        try (Supervisor s = run(socket, "400000", "--timeout", "1s")) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertEquals(1, notifyWarnings(s), s.stderr());
            assertTrue(s.stderr().contains("No such file or directory"), s.stderr());
        }
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "exit", "7")
                .environment("NOTIFY_SOCKET", socket).start()) {
            assertEquals(7, s.exitCode(LONG), s.stderr());
            assertTrue(notifyWarnings(s) <= 1, s.stderr());
        }
    }

    @Test
    void aNewlineInTheJarNameCannotAddAFieldToTheStatus(@TempDir Path dir) throws Exception {
        Path jar = Files.copy(Supervisor.TASKS, dir.resolve("task\nSTOPPING=1\n.jar"));
        String socket = dir.resolve("notify").toString();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = Supervisor.builder("run", "--timeout", "500ms", jar.toString(), "--", "hang")
                     .environment("NOTIFY_SOCKET", socket).start()) {
            String ready = systemd.await("READY=1", 20_000).text();
            assertEquals(List.of("READY=1", "MAINPID=" + s.pid(), "STATUS=running task\\nSTOPPING=1\\n.jar (pid "),
                    ready.lines().map(l -> l.startsWith("STATUS=") ? l.substring(0, l.indexOf("(pid ") + 5) : l).toList(),
                    ready);
            assertTrue(systemd.await("STOPPING=1", 20_000).text().startsWith("STOPPING=1\nSTATUS=stopping"));
            assertEquals(124, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void aPoolSaysReadyOnceAWorkerHasLoadedItsTask(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        String worker = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString();
        try (DatagramListener systemd = new DatagramListener(socket);
             Supervisor s = Supervisor.builder("pool", "--workers", "1", worker).environment("NOTIFY_SOCKET", socket)
                     .keepStdinOpen().start()) {
            DatagramListener.Received ready = systemd.await("READY=1", 30_000);
            assertTrue(ready.text().contains("STATUS=pool of 1 workers running test-tasks-worker.jar"), ready.text());
            assertTrue(ready.text().contains("MAINPID=" + s.pid()), ready.text());
            s.process().getOutputStream().close();
            assertEquals(0, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void linesToTheJournalCarrySyslogPriorities(@TempDir Path dir) throws Exception {
        Path err = dir.resolve("stderr");
        Files.createFile(err);
        String stream = Files.getAttribute(err, "unix:dev") + ":" + Files.getAttribute(err, "unix:ino");
        ProcessBuilder pb = new ProcessBuilder(Supervisor.LAUNCHER.toAbsolutePath().toString(), "run", "-v",
                "--timeout", "500ms", Supervisor.TASKS.toString(), "--", "hang");
        pb.environment().put("JOURNAL_STREAM", stream);
        String tag = UUID.randomUUID().toString();
        pb.environment().put("SUPERVISOR_TEST_ID", tag);
        pb.environment().put("SUPERVISOR_THREAD_DUMP", "no"); // no dump file in the module's directory
        pb.redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(124, p.exitValue());
        List<String> lines = Files.readAllLines(err);
        assertTrue(lines.contains("ready"), "task lines are untouched: " + lines);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<4>supervisor: timeout 500ms expired")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("<7>supervisor: debug: ")), lines.toString());
        assertTrue(lines.stream().filter(l -> l.contains("supervisor: ")).allMatch(l -> l.startsWith("<")), lines.toString());
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + tag, Duration.ofSeconds(5));
    }

    @Test
    void theExampleUnitsPassSystemdAnalyzeVerify(@TempDir Path dir) throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        Assumptions.assumeTrue(Files.isExecutable(analyze), "systemd-analyze is not installed here");
        Path launcher = Supervisor.LAUNCHER.toAbsolutePath().normalize();
        // Documentation=man:supervisor(1): verify runs man, which finds the build's page here.
        Path man1 = Files.createDirectories(dir.resolve("man/man1"));
        Files.copy(Path.of("target/man/supervisor.1"), man1.resolve("supervisor.1"));
        for (String unit : List.of("supervisor.service", "supervisor@.service")) {
            String text = Files.readString(Path.of("../config", unit))
                    .replace("/usr/bin/supervisor", launcher.toString());
            Path copy = Files.writeString(dir.resolve(unit), text);
            Path target = unit.contains("@") ? dir.resolve("supervisor@check.service") : copy;
            ProcessBuilder pb = new ProcessBuilder(analyze.toString(), "verify", target.toString()).redirectErrorStream(true);
            pb.environment().put("MANPATH", dir.resolve("man").toString());
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), unit + ": " + out);
            assertEquals("", out.trim(), unit + " has warnings: " + out);
        }
    }
}
