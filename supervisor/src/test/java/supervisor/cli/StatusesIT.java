package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Await;
import supervisor.testing.ReportSchema;
import supervisor.testing.Supervisor;

/**
 * Statuses, report outcomes and lines follow the README's tables: a pool whose workers cannot
 * start, a task that exits with 128+N by itself. Every run proves on close that it left no
 * process behind.
 */
class StatusesIT {
    static final String WORKER = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString();
    static final Duration LONG = Duration.ofSeconds(120);
    private static final ReportSchema SCHEMA = ReportSchema.load();
    /** A line that carries a Java class name of the supervisor's or the JDK's. */
    static final Pattern JAVA_CLASS = Pattern.compile("java\\.|javax\\.|Exception\\b|supervisor\\.[a-z]+\\.[A-Z]");

    static Map<String, Object> report(Path file) throws Exception {
        assertTrue(Files.exists(file), file + " was not written");
        return SCHEMA.validate(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** The supervisor's own lines (a pool's workers' relayed lines begin with [wN], a task's are its own). */
    static List<String> ownLines(String stderr) {
        return stderr.lines().filter(l -> l.startsWith("supervisor: ")).toList();
    }

    @Test
    void poolWhoseWorkersCannotStartIs126WithOneLineNamingTheCause(@TempDir Path dir) throws Exception {
        Map<String, String> causes = Map.of(
                "tasks.worker.ThrowingConstructorTask", "no licence for this machine",
                "tasks.worker.ExitingInitTask", "native library not found",
                "tasks.worker.NoSuchTask", "task class tasks.worker.NoSuchTask not found on the class path");
        List<Supervisor> runs = new ArrayList<>();
        List<String> classes = new ArrayList<>(causes.keySet());
        try {
            for (String c : classes) {
                runs.add(Supervisor.builder("pool", "--workers", "1", "--report", dir.resolve(c + ".json").toString(),
                        "--jvm-opt", "-Dsupervisor.task.class=" + c, WORKER).stdin("echo a\n".getBytes()).start());
            }
            for (int i = 0; i < classes.size(); i++) {
                Supervisor s = runs.get(i);
                String c = classes.get(i);
                assertEquals(126, s.exitCode(LONG), c + ": " + s.stderr());
                List<String> own = ownLines(s.stderr());
                assertEquals(1, own.size(), c + ": " + s.stderr());
                assertTrue(own.get(0).startsWith("supervisor: cannot start the workers: worker w1 (pid "), own.get(0));
                assertTrue(own.get(0).contains(causes.get(c)), own.get(0));
                assertFalse(JAVA_CLASS.matcher(own.get(0).replace("java.lang.IllegalStateException: no licence", ""))
                        .find(), "a class name that is not the task's own: " + own.get(0));
                assertEquals("", s.stdout(), "no call was answered");
                Map<String, Object> r = report(dir.resolve(c + ".json"));
                assertEquals("start_failed", r.get("outcome"), r.toString());
                assertEquals(126, ((Number) r.get("exit_status")).intValue(), r.toString());
            }
        } finally {
            runs.forEach(Supervisor::close);
        }
    }
    /**
     * The task's end is decoded from the kernel's wait status, not from the number: an exit with
     * 143, 137 or 134 is an exit; a death by SIGKILL, or by SIGTERM of a JVM that does not handle
     * it (-Xrs), is a crash with its signal. (A JVM that handles SIGTERM runs its hooks and exits
     * with 143: the kernel, and so the report, calls that an exit.)
     */
    @Test
    void aTaskThatExitsWith128PlusNIsAnExitNotASignal(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(pidfdKeepsExitStatus(),
                "the kernel keeps no wait status for a pidfd (PIDFD_INFO_EXIT, Linux 6.15+)");
        List<Supervisor> runs = new ArrayList<>();
        List<Integer> codes = List.of(143, 137, 134, 130);
        try {
            for (int code : codes) {
                // Half a second first: the supervisor opens the task's pidfd once its native layer
                // has loaded in the background (60-120 ms); a task that ends sooner keeps the
                // JDK's ambiguous value, which is not what this test is about.
                runs.add(run(dir, "exit" + code, List.of(), "exit", Integer.toString(code), "500"));
            }
            Supervisor killed = run(dir, "killed", List.of(), "hang");
            Supervisor termXrs = run(dir, "term", List.of("--jvm-opt", "-Xrs"), "hang");
            runs.add(killed);
            runs.add(termXrs);
            for (int i = 0; i < codes.size(); i++) {
                Supervisor s = runs.get(i);
                assertEquals(codes.get(i), s.exitCode(LONG), s.stderr());
                assertEquals(List.of(), ownLines(s.stderr()), "an exit is said by nothing");
                Map<String, Object> r = report(dir.resolve("exit" + codes.get(i) + ".json"));
                assertEquals("exited", r.get("outcome"), r.toString());
                assertEquals(null, r.get("signal"), r.toString());
                assertEquals(codes.get(i), ((Number) r.get("task_status")).intValue(), r.toString());
            }
            killed.awaitStderr("ready", LONG);
            Supervisor.kill("KILL", killed.taskJvm().pid());
            termXrs.awaitStderr("ready", LONG);
            Supervisor.kill("TERM", termXrs.taskJvm().pid());
            for (Object[] c : new Object[][] {{killed, "killed", 137, "SIGKILL"}, {termXrs, "term", 143, "SIGTERM"}}) {
                Supervisor s = (Supervisor) c[0];
                assertEquals(c[2], s.exitCode(LONG), s.stderr());
                assertEquals(List.of("supervisor: task died of " + c[3] + ", a signal the supervisor did not send"),
                        ownLines(s.stderr()), s.stderr());
                Map<String, Object> r = report(dir.resolve(c[1] + ".json"));
                assertEquals("crash", r.get("outcome"), r.toString());
                assertEquals(c[3], r.get("signal"), r.toString());
                assertEquals(c[2], ((Number) r.get("task_status")).intValue(), r.toString());
            }
        } finally {
            runs.forEach(Supervisor::close);
        }
    }

    /** A notify datagram over systemd's 4,096 bytes is dropped, as systemd does, and said in one line. */
    @Test
    void anOversizedNotifyDatagramIsSaidInOneLine(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")),
                "the notify test task sends through perl");
        try (Supervisor s = run(dir, "notify", List.of("--ready", "notify", "--ready-timeout", "3s", "--grace", "1s"),
                "notify", "READY=1\nSTATUS=" + "x".repeat(5000))) {
            assertEquals(120, s.exitCode(LONG), s.stderr());
            List<String> dropped = ownLines(s.stderr()).stream().filter(l -> l.contains("dropped a datagram")).toList();
            assertEquals(List.of("supervisor: dropped a datagram of more than 4096 bytes from the task's notify socket"
                    + " (as systemd does: a READY=1 or STATUS= in it does not count), beginning 'READY=1\\nSTATUS="
                    + "x".repeat(45) + "...'"), dropped, s.stderr());
            assertEquals("not_ready", report(dir.resolve("notify.json")).get("outcome"));
        }
    }

    /**
     * A FIFO output nobody opens, and one whose reader stopped reading: the first signal ends the
     * wait within about 1 s (not after the grace), with a line that says what it waited for.
     */
    @Test
    void aSignalEndsTheWaitForAnOutputFifosReader(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("out.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        Path input = dir.resolve("in.txt");
        Files.writeString(input, ("echo " + "x".repeat(100) + "\n").repeat(3000));
        String[][] cases = {{"INT", "unread", "got SIGINT while waiting for a reader of the output " + fifo + "; 0 lines were written"},
            {"TERM", "stalled", "got SIGTERM while the output " + fifo + " was not read (a write waits for its reader); "}};
        for (String[] c : cases) {
            Process reader = c[1].equals("stalled")
                    ? new ProcessBuilder("sh", "-c", "exec sleep 600 < \"$0\"", fifo.toString()).start() : null;
            try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--grace", "5s", "--input", input.toString(),
                    "--output", fifo.toString(), "--report", dir.resolve(c[1] + ".json").toString(), WORKER).start()) {
                String wchan = reader == null ? "wait_for_partner" : "pipe_write";
                Await.until(LONG, "the writer to wait in " + wchan, () -> batchThreadWaitsIn(s.pid(), wchan));
                long sent = System.nanoTime();
                s.signal(c[0]);
                int status = s.exitCode(LONG);
                long ms = (System.nanoTime() - sent) / 1_000_000;
                System.out.printf("pool --output FIFO (%s reader): SIG%s to exit in %d ms%n", c[1], c[0], ms);
                assertEquals(c[0].equals("INT") ? 130 : 143, status, s.stderr());
                assertTrue(ms < 2500, "the signal acted after " + ms + " ms (grace 5 s)");
                List<String> own = ownLines(s.stderr());
                assertTrue(own.get(0).startsWith("supervisor: " + c[2]), s.stderr());
                assertFalse(s.stderr().contains("did not stop within the grace"), s.stderr());
                assertEquals("signal", report(dir.resolve(c[1] + ".json")).get("outcome"));
            } finally {
                if (reader != null) {
                    reader.destroyForcibly().waitFor();
                }
            }
        }
    }

    /**
     * Whether a batch thread of the supervisor JVM {@code pid} waits in the kernel where
     * {@code wchan} says: {@code wait_for_partner} (the open of a FIFO that has no reader),
     * {@code pipe_write} (a write to a full pipe; {@code anon_pipe_write} on newer kernels).
     */
    static boolean batchThreadWaitsIn(long pid, String wchan) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.anyMatch(t -> {
                try {
                    return Files.readString(t.resolve("comm")).startsWith("supervisor-batc")
                            && Files.readString(t.resolve("wchan")).contains(wchan);
                } catch (IOException e) {
                    return false; // that thread ended
                }
            });
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A pool that is down (its workers stopped starting: the static initialiser exits once the
     * refuse file exists) answers the lines left "unavailable", saying why without a class name.
     */
    @Test
    void linesThatFindThePoolDownAreUnavailableWithAPlainReason(@TempDir Path dir) throws Exception {
        Path refuse = dir.resolve("refuse");
        Path report = dir.resolve("r.json");
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--report", report.toString(), WORKER)
                .environment("HOSTILE_REFUSE_IF_EXISTS", refuse.toString()).keepStdinOpen().start()) {
            var in = s.process().getOutputStream();
            in.write("echo a\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            s.awaitStdout("\"output\":\"a\"", LONG);
            Files.createFile(refuse);
            in.write("exit 3\necho b\necho c\n".getBytes(StandardCharsets.UTF_8));
            in.close();
            assertEquals(1, s.exitCode(LONG), s.stderr());
            List<String> lines = s.stdout().lines().toList();
            assertEquals(4, lines.size(), s.stdout());
            assertTrue(lines.get(1).startsWith("{\"line\":2,\"status\":\"crashed\","), lines.get(1));
            for (String l : lines.subList(2, 4)) {
                assertTrue(l.matches("\\{\"line\":\\d,\"status\":\"unavailable\",\"error\":\"the pool is down since .*"), l);
            }
            for (String l : lines) {
                assertFalse(JAVA_CLASS.matcher(l).find(), "a class name in: " + l);
            }
            for (String l : ownLines(s.stderr())) {
                assertFalse(JAVA_CLASS.matcher(l).find(), "a class name in: " + l);
            }
            assertTrue(s.stderr().contains("supervisor: 4 calls: 1 ok, 1 crashed, 2 unavailable in "), s.stderr());
            @SuppressWarnings("unchecked")
            Map<String, Object> calls = (Map<String, Object>) report(report).get("calls");
            assertEquals(2L, calls.get("unavailable"), calls.toString());
        }
    }

    /** Failing commands say plain reasons: no line of the supervisor's carries a Java class name. */
    @Test
    void failuresSayPlainReasonsWithoutClassNames(@TempDir Path dir) throws Exception {
        Path bom = dir.resolve("bom.conf");
        Files.write(bom, "\ufeffnosuch = 1\n".getBytes(StandardCharsets.UTF_8));
        List<String[]> commands = List.of(
                new String[] {"run", "--report", dir.resolve("no/such/dir/r.json").toString(), Supervisor.TASKS.toString(), "--", "hello"},
                new String[] {"run", "--config", bom.toString(), Supervisor.TASKS.toString(), "--", "hello"},
                new String[] {"run", "--java", dir.resolve("nojava").toString(), Supervisor.TASKS.toString(), "--", "hello"},
                new String[] {"run", dir.resolve("missing.jar").toString()},
                new String[] {"run", dir.toString()},
                new String[] {"pool", "--workers", "1", "--jvm-opt", "-Dsupervisor.task.class=tasks.worker.NoSuchTask", WORKER},
                new String[] {"pool", "--workers", "1", "--input", dir.resolve("nosuch.txt").toString(), WORKER},
                new String[] {"pool", "--workers", "1", "--java", dir.resolve("nojava").toString(), WORKER});
        for (String[] c : commands) {
            try (Supervisor s = Supervisor.builder(c).stdin("echo a\n".getBytes()).start()) {
                int status = s.exitCode(LONG);
                assertTrue(status != 0, String.join(" ", c) + ": " + s.stderr());
                List<String> own = ownLines(s.stderr());
                assertFalse(own.isEmpty(), String.join(" ", c) + " says nothing: " + s.stderr());
                for (String l : own) {
                    assertFalse(JAVA_CLASS.matcher(l).find(), String.join(" ", c) + ": a class name in: " + l);
                }
            }
        }
    }

    private static Supervisor run(Path dir, String name, List<String> options, String... task) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--report", dir.resolve(name + ".json").toString()));
        args.addAll(options);
        args.add(Supervisor.TASKS.toString());
        args.add("--");
        args.addAll(List.of(task));
        return Supervisor.builder(args.toArray(String[]::new)).start();
    }

    /** Linux 6.15 and later keep the wait status of a reaped process for its pidfd. */
    static boolean pidfdKeepsExitStatus() {
        String[] v = System.getProperty("os.version").split("[.-]");
        int major = Integer.parseInt(v[0]);
        int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
        return major > 6 || major == 6 && minor >= 15;
    }
}
