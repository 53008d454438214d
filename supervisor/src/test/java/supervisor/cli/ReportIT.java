package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.cli.report.Consumed;
import supervisor.platform.Cgroups;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.ReportSchema;
import supervisor.testing.Supervisor.Route;
import supervisor.testing.Supervisor;

/**
 * {@code --report}: a report of every outcome of {@code supervisor run}, and of a pool run with a
 * crash and a restart, written by the real command for real tasks, parsed back strictly and
 * checked against the schema docs/report.md documents, then against what happened. The runs of
 * one test start together (each a supervisor and its task of its own), to spend seconds once.
 * Each proves on close that it left no process behind; the test, that no cgroup (the memory
 * cgroups made only to count included) and no temporary report file is left either.
 */
class ReportIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final ReportSchema SCHEMA = ReportSchema.load();
    /** A cgroup leaf where this machine allows one, else the process tree (then both cases run on it). */
    private static final Route CGROUP = Cgroups.writableV2Parent().isPresent() ? Route.CGROUP : Route.TREE;
    private static final Pattern CONSUMED = Pattern.compile(
            "supervisor: consumed (\\d+\\.\\d\\d) s CPU time, (\\d+)(?:\\.(\\d))?([BKMG]) memory peak\n$");

    private static Supervisor run(Route route, Path dir, String report, List<String> options, String... task)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--report", dir.resolve(report).toString()));
        args.addAll(options);
        args.add(Supervisor.TASKS.toString());
        args.add("--");
        args.addAll(List.of(task));
        return Supervisor.builder(args.toArray(String[]::new)).route(route).directory(dir).start();
    }

    private static Map<String, Object> report(Path file) throws Exception {
        assertTrue(Files.exists(file), file + " was not written");
        return SCHEMA.validate(Files.readString(file, StandardCharsets.UTF_8));
    }

    private static List<Map<?, ?>> signals(Map<String, Object> r) {
        List<Map<?, ?>> out = new ArrayList<>();
        for (Object o : (List<?>) r.get("signals_sent")) {
            out.add((Map<?, ?>) o);
        }
        return out;
    }

    private static long n(Object number) {
        return ((Number) number).longValue();
    }

    @Test
    void everyOutcomeOfARunIsReportedAsDocumented(@TempDir Path dir) throws Exception {
        Set<String> before = Procs.supervisorLeftovers();
        try (Supervisor exited = run(CGROUP, dir, "exited.json", List.of("-v"), "hello");
             Supervisor failed = Supervisor.builder("run", "--report=" + dir.resolve("failed.json"), "-v",
                     Supervisor.TASKS.toString(), "--", "exit", "7").route(Route.TREE).directory(dir)
                     .environment("SUPERVISOR_CGROUP_LIMITS", "0").start();
             Supervisor timeout = run(CGROUP, dir, "timeout.json", List.of("--timeout", "3s", "--grace", "0"), "children", "2");
             Supervisor signal = run(Route.TREE, dir, "signal.json", List.of("--grace", "300ms"), "hook-never-returns");
             Supervisor limit = run(CGROUP, dir, "limit.json", List.of("--memory", "64m"), "oom");
             Supervisor crash = run(CGROUP, dir, "crash.json", List.of(), "crash");
             Supervisor lateMistake = Supervisor.builder("run", "--report", dir.resolve("usage.json").toString(),
                     "--timeout", "fast", Supervisor.TASKS.toString()).directory(dir).start();
             Supervisor earlyMistake = Supervisor.builder("run", "--frob", "--report", dir.resolve("never.json").toString(),
                     Supervisor.TASKS.toString()).directory(dir).start();
             Supervisor fromVariable = Supervisor.builder("run", "--grace=fast", Supervisor.TASKS.toString())
                     .environment("SUPERVISOR_REPORT", dir.resolve("variable.json").toString()).directory(dir).start();
             Supervisor badReport = Supervisor.builder("run", "--report", dir.resolve("no/such/dir.json").toString(),
                     Supervisor.TASKS.toString()).directory(dir).start();
             Supervisor missing = Supervisor.builder("run", "--report", dir.resolve("missing.json").toString(),
                     dir.resolve("missing.jar").toString()).directory(dir).start()) {
            signal.awaitStderr("ready", LONG);
            signal.signal("TERM");

            assertEquals(0, exited.exitCode(LONG), exited.stderr());
            Map<String, Object> r = report(dir.resolve("exited.json"));
            assertEquals("exited", r.get("outcome"));
            assertEquals(0L, r.get("exit_status"));
            assertEquals(0L, r.get("task_status"));
            assertNull(r.get("signal"));
            assertEquals(List.of(), r.get("signals_sent"));
            assertEquals(CGROUP == Route.CGROUP ? "cgroup" : "tree", r.get("mechanism"));
            Matcher pid = Pattern.compile("supervisor: debug: task pid (\\d+);").matcher(exited.stderr());
            assertTrue(pid.find(), exited.stderr());
            assertEquals(Long.parseLong(pid.group(1)), n(r.get("pid")));
            if (CGROUP == Route.CGROUP) {
                assertEquals("cgroup cpu.stat", r.get("cpu_source"), "the leaf counts the tree's CPU time");
            }
            assertTrue(((BigDecimal) r.get("cpu_seconds")).signum() > 0, "a JVM uses some CPU: " + r);
            assertTrue(n(r.get("memory_peak_bytes")) > (1 << 20), "a JVM uses more than 1 MiB: " + r);
            // -v ends with systemd's closing line, from the same counts.
            Matcher m = CONSUMED.matcher(exited.stderr());
            assertTrue(m.find(), "the last line is the consumption: " + exited.stderr());
            assertTrue(new BigDecimal(m.group(1)).subtract((BigDecimal) r.get("cpu_seconds")).abs()
                    .compareTo(new BigDecimal("0.006")) < 0, m.group(1) + " s against " + r.get("cpu_seconds"));
            assertEquals(Consumed.bytes(n(r.get("memory_peak_bytes"))),
                    m.group(2) + (m.group(3) == null ? "" : "." + m.group(3)) + m.group(4));

            assertEquals(7, failed.exitCode(LONG), failed.stderr());
            r = report(dir.resolve("failed.json"));
            assertEquals("exited", r.get("outcome"));
            assertEquals(7L, r.get("task_status"));
            assertEquals("tree", r.get("mechanism"));
            assertEquals("rusage children", r.get("cpu_source"), "no leaf: the supervisor's reaped children");
            assertEquals("process rss", r.get("memory_source"), "no memory cgroup: resident memory");
            assertTrue(n(r.get("memory_peak_bytes")) > (8 << 20), "a JVM's resident set: " + r);
            assertTrue(((BigDecimal) r.get("cpu_seconds")).signum() > 0, r.toString());
            assertTrue(CONSUMED.matcher(failed.stderr()).find(), failed.stderr());

            assertEquals(124, timeout.exitCode(LONG), timeout.stderr());
            r = report(dir.resolve("timeout.json"));
            assertEquals("timeout", r.get("outcome"));
            List<Map<?, ?>> sent = signals(r);
            assertEquals(1, sent.size(), "no grace: one SIGKILL: " + sent);
            assertEquals("SIGKILL", sent.get(0).get("signal"));
            assertEquals("timeout", sent.get(0).get("reason"), "a kill without grace keeps the stop's reason");
            assertTrue(((BigDecimal) sent.get(0).get("at_seconds")).compareTo(new BigDecimal("3.000")) >= 0, sent.toString());
            assertEquals(n(sent.get(0).get("processes")), n(r.get("processes_killed")));
            if (timeout.stderr().contains("ready")) {
                assertEquals(3L, r.get("processes_killed"), "the JVM and its two children: " + timeout.stderr());
            }
            assertEquals(137L, r.get("task_status"));
            assertEquals("SIGKILL", r.get("signal"));
            assertEquals(0L, r.get("survivors"));

            assertEquals(143, signal.exitCode(LONG), signal.stderr());
            r = report(dir.resolve("signal.json"));
            assertEquals("signal", r.get("outcome"));
            sent = signals(r);
            assertEquals(List.of("SIGTERM", "SIGKILL"), sent.stream().map(s -> s.get("signal")).toList(), sent.toString());
            assertEquals(List.of("signal", "grace_expired"), sent.stream().map(s -> s.get("reason")).toList());
            BigDecimal gap = ((BigDecimal) sent.get(1).get("at_seconds")).subtract((BigDecimal) sent.get(0).get("at_seconds"));
            assertTrue(gap.compareTo(new BigDecimal("0.300")) >= 0, "SIGKILL after the grace: " + sent);
            assertTrue(n(r.get("processes_killed")) >= 1);
            assertEquals("SIGKILL", r.get("signal"));
            assertEquals("tree", r.get("mechanism"));

            assertEquals(121, limit.exitCode(LONG), limit.stderr());
            r = report(dir.resolve("limit.json"));
            assertEquals("limit", r.get("outcome"));
            assertEquals(List.of("memory"), r.get("limits_hit"));

            assertEquals(134, crash.exitCode(LONG), crash.stderr());
            r = report(dir.resolve("crash.json"));
            assertEquals("crash", r.get("outcome"));
            assertEquals(134L, r.get("task_status"));
            assertEquals("SIGABRT", r.get("signal"));
            Path hsErr = Path.of((String) r.get("hs_err"));
            assertEquals("hs_err_pid" + r.get("pid") + ".log", hsErr.getFileName().toString());
            assertTrue(Files.isRegularFile(hsErr) && hsErr.getParent().toRealPath().equals(dir.toRealPath()), hsErr.toString());
            assertTrue(crash.stderr().contains(hsErr.toString()), "the same log as stderr names: " + crash.stderr());

            assertEquals(2, lateMistake.exitCode(LONG));
            r = report(dir.resolve("usage.json"));
            assertEquals("usage", r.get("outcome"));
            assertEquals(2L, r.get("exit_status"));
            assertTrue(lateMistake.stderr().equals("supervisor: " + r.get("error") + "\n"), lateMistake.stderr());
            assertNull(r.get("pid"));
            assertNull(r.get("command"));

            assertEquals(2, earlyMistake.exitCode(LONG));
            assertFalse(Files.exists(dir.resolve("never.json")), "the mistake came before --report: no report");

            assertEquals(2, fromVariable.exitCode(LONG));
            r = report(dir.resolve("variable.json"));
            assertEquals("usage", r.get("outcome"));
            assertTrue(((String) r.get("error")).startsWith("--grace: "), r.toString());

            assertEquals(2, badReport.exitCode(LONG));
            assertEquals("supervisor: --report: no such directory: '" + dir.resolve("no/such") + "'\n", badReport.stderr());

            assertEquals(127, missing.exitCode(LONG));
            r = report(dir.resolve("missing.json"));
            assertEquals("start_failed", r.get("outcome"));
            assertEquals(127L, r.get("exit_status"));
            assertEquals("task jar not found: " + dir.resolve("missing.jar"), r.get("error"));
            assertNull(r.get("pid"));
            assertEquals(List.of("-jar", dir.resolve("missing.jar").toString()),
                    ((List<?>) r.get("command")).subList(1, 3), "the command it would have run");
        }
        assertNothingElseIn(dir, "exited.json", "failed.json", "timeout.json", "signal.json", "limit.json", "crash.json",
                "usage.json", "variable.json", "missing.json");
        // Only empty ones can be these runs' leftovers: other runs on this machine hold their processes.
        assertTrue(Await.within(Duration.ofSeconds(10), () -> emptyCgroupsSince(before).isEmpty()),
                "cgroups left: " + emptyCgroupsSince(before));
    }

    /** The supervisor's cgroup directories (v2 leaves, v1 memory and pids) made since {@code before} that hold no process. */
    private static Set<String> emptyCgroupsSince(Set<String> before) {
        Set<String> empty = new TreeSet<>();
        for (String dir : Procs.supervisorLeftovers()) {
            Path procs = Path.of(dir, "cgroup.procs");
            try {
                if (!before.contains(dir) && Files.exists(procs) && Files.readString(procs).isBlank()) {
                    empty.add(dir);
                }
            } catch (IOException e) {
                // removed meanwhile
            }
        }
        return empty;
    }

    @Test
    void aPoolReportCountsTheCallsAndTheRestartOfTheCrashedWorker(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pool.json");
        String worker = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString();
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--report", file.toString(), worker)
                .stdin("echo a\ncrash\necho b\n".getBytes(StandardCharsets.UTF_8)).directory(dir).start()) {
            assertEquals(1, s.exitCode(LONG), s.stderr());
            Map<String, Object> r = report(file);
            assertEquals("completed", r.get("outcome"));
            assertEquals(1L, r.get("exit_status"));
            assertEquals(worker, r.get("worker_jar"));
            assertEquals(1L, r.get("workers"));
            assertEquals(Map.of("total", 3L, "ok", 2L, "failed", 0L, "timeout", 0L, "crashed", 1L, "protocol", 0L, "unavailable", 0L), r.get("calls"));
            assertEquals(2L, r.get("worker_starts"), "the first worker, and the one that replaced it for the third line");
            assertEquals(1L, r.get("restarts"));
            assertEquals(List.of(Map.of("worker", 1L, "restarts", 1L, "reasons", Map.of("crashed", 1L))),
                    r.get("restarts_by_worker"));
        }
        Set<String> names = new TreeSet<>();
        try (var files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("hs_err_pid")).forEach(names::add);
        }
        assertEquals(Set.of("pool.json"), names, "the report and the crash's log only");
    }

    /** The report is renamed over its path: a device or FIFO there would be replaced (as root: /dev/null). */
    @Test
    void aReportPathThatIsADeviceOrAFifoIsAUsageError(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        try (Supervisor device = Supervisor.builder("run", "--report", "/dev/null", Supervisor.TASKS.toString(), "--", "hello").start();
             Supervisor pipe = Supervisor.builder("pool", "--report", fifo.toString(),
                     Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString()).start()) {
            assertEquals(2, device.exitCode(LONG));
            assertEquals("", device.stdout());
            assertEquals("supervisor: --report: '/dev/null' is not a regular file (a device, FIFO or socket),"
                    + " which the report would replace\n", device.stderr());
            assertEquals(2, pipe.exitCode(LONG));
            assertEquals("supervisor: --report: '" + fifo + "' is not a regular file (a device, FIFO or socket),"
                    + " which the report would replace\n", pipe.stderr());
        }
        assertFalse(Files.isRegularFile(Path.of("/dev/null")), "/dev/null is still a device");
        assertTrue(Files.readAttributes(fifo, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).isOther(), "the FIFO is still one");
        assertNothingElseIn(dir, "fifo");
    }

    private static void assertNothingElseIn(Path dir, String... reports) throws Exception {
        Set<String> names = new TreeSet<>();
        try (var files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("hs_err_pid")).forEach(names::add);
        }
        assertEquals(new TreeSet<>(List.of(reports)), names, "the reports only: no temporary file left");
    }
}
