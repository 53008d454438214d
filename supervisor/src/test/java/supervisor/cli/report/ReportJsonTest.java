package supervisor.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.launch.ExitStatus;
import supervisor.limits.Usage;
import supervisor.platform.ProcessId;
import supervisor.platform.Signal;
import supervisor.terminate.KillReport;
import supervisor.testing.ReportSchema;
import supervisor.testing.StrictJson;

/**
 * The report's JSON, written in this JVM and read back by a strict parser, against the schema
 * that docs/report.md documents; its atomic write; the -v closing line's numbers.
 */
class ReportJsonTest {
    private static final ReportSchema SCHEMA = ReportSchema.load();
    /** Strings a report must carry through unchanged: quotes, escapes, control and non-ASCII characters. */
    private static final String HOSTILE = "a \"quoted\" \\path\\\nnew line\ttab\u0000nul\u001fus \u2028 café 😀 },\"x\":[";

    @Test
    void aRunReportWithEveryFactParsesBackStrictlyAsDocumented() {
        RunReport r = new RunReport(List.of("--timeout", "1s", HOSTILE));
        r.command(List.of("/usr/bin/java", "-jar", "task.jar", HOSTILE));
        long spawned = System.nanoTime();
        r.spawned(4242, spawned);
        r.mechanism("cgroup");
        r.signalled(Signal.TERM, 3, RunReport.Reason.TIMEOUT, spawned + 1_000_400_000L);
        r.signalled(Signal.TERM, 0, RunReport.Reason.LEFTOVERS, spawned + 1_100_000_000L); // reached none: not sent
        r.killed(new KillReport(2, 1_000_000, List.of(new ProcessId(99, 1))), RunReport.Reason.GRACE_EXPIRED,
                spawned + 2_000_000_000L);
        r.taskEnded(ExitStatus.fromJdk(137));
        r.taskEnded(ExitStatus.fromJdk(0)); // the first end told is kept
        r.usage(new Usage(1_234_567_890L, Usage.CPU_CGROUP, 50_541_364L, Usage.MEMORY_V1));
        r.limitHit("memory");
        r.limitHit("memory");
        r.limitHit("processes");
        String dir = HOSTILE.replace("\u0000", ""); // a path holds no NUL
        r.hsErr(Path.of("/tmp/" + dir + "/hs_err_pid4242.log"));
        r.end(RunReport.TIMEOUT, 124);

        Map<String, Object> json = SCHEMA.validate(r.json());
        assertEquals(List.of("--timeout", "1s", HOSTILE), json.get("argv"));
        assertEquals(List.of("/usr/bin/java", "-jar", "task.jar", HOSTILE), json.get("command"));
        assertEquals(4242L, json.get("pid"));
        assertEquals("timeout", json.get("outcome"));
        assertEquals(124L, json.get("exit_status"));
        assertEquals(137L, json.get("task_status"));
        assertEquals("SIGKILL", json.get("signal"));
        assertEquals(List.of(
                Map.of("signal", "SIGTERM", "at_seconds", new BigDecimal("1.000"), "processes", 3L, "reason", "timeout"),
                Map.of("signal", "SIGKILL", "at_seconds", new BigDecimal("2.000"), "processes", 2L, "reason", "grace_expired")),
                json.get("signals_sent"));
        assertEquals(2L, json.get("processes_killed"));
        assertEquals(1L, json.get("survivors"));
        assertEquals(new BigDecimal("1.235"), json.get("cpu_seconds"));
        assertEquals("cgroup cpu.stat", json.get("cpu_source"));
        assertEquals(50_541_364L, json.get("memory_peak_bytes"));
        assertEquals(List.of("memory", "processes"), json.get("limits_hit"));
        assertEquals("/tmp/" + dir + "/hs_err_pid4242.log", json.get("hs_err"));
        assertNull(json.get("thread_dump"));
        assertNull(json.get("error"));
        assertTrue(json.get("started_at").toString().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
                json.get("started_at").toString());
    }

    @Test
    void aReportOfNothingStartedHasEveryFieldAsNull() {
        RunReport r = new RunReport(List.of("--timeout", "fast"));
        r.error("--timeout: invalid duration 'fast'");
        r.end(Report.USAGE, 2);
        Map<String, Object> json = SCHEMA.validate(r.json());
        assertEquals("usage", json.get("outcome"));
        assertEquals("--timeout: invalid duration 'fast'", json.get("error"));
        for (String field : List.of("command", "pid", "task_status", "signal", "mechanism", "cpu_seconds", "memory_peak_bytes")) {
            assertTrue(json.containsKey(field) && json.get(field) == null, field + " present and null: " + json);
        }
        assertEquals(List.of(), json.get("signals_sent"));

        PoolReport p = new PoolReport(List.of("--frob"));
        p.end(Report.USAGE, 2);
        Map<String, Object> pool = SCHEMA.validate(p.json());
        assertEquals(Map.of("total", 0L, "ok", 0L, "failed", 0L, "timeout", 0L, "crashed", 0L, "protocol", 0L, "unavailable", 0L), pool.get("calls"));
        assertEquals(List.of(), pool.get("restarts_by_worker"));
    }

    @Test
    void aPoolReportParsesBackStrictlyAsDocumented() {
        PoolReport p = new PoolReport(List.of("--workers", "2", "w.jar"));
        p.pool("w.jar", 2);
        p.calls(Map.of("ok", 5L, "crashed", 2L, "timeout", 1L));
        p.workers(4, 2, List.of(new PoolReport.Worker(1, 0, Map.of()),
                new PoolReport.Worker(2, 2, new LinkedHashMap<>(Map.of("crashed", 1L, "timeout", 1L)))));
        p.end(PoolReport.COMPLETED, 1);
        Map<String, Object> json = SCHEMA.validate(p.json());
        assertEquals(8L, ((Map<?, ?>) json.get("calls")).get("total"));
        assertEquals(2L, json.get("restarts"));
        Map<?, ?> second = (Map<?, ?>) ((List<?>) json.get("restarts_by_worker")).get(1);
        assertEquals(2L, second.get("worker"));
        assertEquals(Map.of("crashed", 1L, "timeout", 1L), second.get("reasons"));
    }

    @Test
    void theValidatorRefusesWhatIsNotTheSchema() {
        assertThrows(IllegalArgumentException.class, () -> StrictJson.parse("{\"a\":1,}"));
        assertThrows(IllegalArgumentException.class, () -> StrictJson.parse("{\"a\":01}"));
        assertThrows(IllegalArgumentException.class, () -> StrictJson.parse("{\"a\":1,\"a\":2}"));
        assertThrows(IllegalArgumentException.class, () -> StrictJson.parse("[\"\u0001\"]"));
        assertThrows(IllegalArgumentException.class, () -> StrictJson.parse("{} {}"));
        RunReport r = new RunReport(List.of());
        r.end(RunReport.EXITED, 0);
        String good = r.json();
        SCHEMA.validate(good);
        assertThrows(AssertionError.class, () -> SCHEMA.validate(good.replace("\"pid\": null", "\"pid\": \"1\"")));
        assertThrows(AssertionError.class, () -> SCHEMA.validate(good.replace("\"pid\": null,", "")));
        assertThrows(AssertionError.class, () -> SCHEMA.validate(good.replace("\"pid\": null", "\"pid\": null, \"extra\": 1")));
        assertThrows(AssertionError.class, () -> SCHEMA.validate(good.replace("\"exited\"", "\"finished\"")));
    }

    @Test
    void everyValueTheCodeWritesIsDocumented() throws Exception {
        String doc = Files.readString(ReportSchema.DOC);
        for (String outcome : List.of(RunReport.EXITED, RunReport.CRASH, RunReport.SIGNAL, RunReport.TIMEOUT,
                RunReport.NOT_READY, RunReport.LIMIT, Report.START_FAILED, Report.USAGE, Report.ERROR)) {
            assertTrue(SCHEMA.outcomes("run").contains(outcome), "run outcome " + outcome);
        }
        for (String outcome : List.of(PoolReport.COMPLETED, PoolReport.SIGNAL, PoolReport.IO_ERROR, Report.START_FAILED,
                Report.USAGE, Report.ERROR)) {
            assertTrue(SCHEMA.outcomes("pool").contains(outcome), "pool outcome " + outcome);
        }
        for (RunReport.Reason reason : RunReport.Reason.values()) {
            assertTrue(doc.contains("`" + reason.json() + "`"), "signal reason " + reason.json());
        }
        for (String source : List.of(Usage.CPU_CGROUP, Usage.CPU_RUSAGE, Usage.CPU_PROC, Usage.MEMORY_PEAK,
                Usage.MEMORY_V1, Usage.MEMORY_RSS)) {
            assertTrue(doc.contains("| `" + source + "` |"), "source " + source);
        }
    }

    @Test
    void theWriteReplacesTheReportWholeAndLeavesNothingElse(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("run.json"), "an older report");
        RunReport r = new RunReport(List.of());
        r.to(file);
        r.end(RunReport.EXITED, 0);
        assertTrue(r.write());
        SCHEMA.validate(Files.readString(file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left");
        }
        RunReport gone = new RunReport(List.of());
        gone.to(dir.resolve("missing/run.json"));
        gone.end(RunReport.EXITED, 0);
        assertFalse(gone.write(), "a report that cannot be written says so");
        assertTrue(new RunReport(List.of()).write(), "no path: nothing to write");
    }

    @Test
    void theClosingLineCountsAsSystemdDoes() {
        assertEquals("0B", Consumed.bytes(0));
        assertEquals("1023B", Consumed.bytes(1023));
        assertEquals("1.0K", Consumed.bytes(1024));
        assertEquals("1.5K", Consumed.bytes(1536));
        assertEquals("1023.9K", Consumed.bytes(1024 * 1024 - 1), "cut, not rounded up to 1024.0K");
        assertEquals("48.2M", Consumed.bytes(50_541_364));
        assertEquals("5.0G", Consumed.bytes(5L << 30));
        assertEquals("7.9E", Consumed.bytes(Long.MAX_VALUE));
        assertEquals("1.23 s", Consumed.seconds(1_234_000_000));
        assertEquals("0.00 s", Consumed.seconds(0));
        assertEquals("consumed 1.23 s CPU time, 48.2M memory peak",
                Consumed.line(new Usage(1_230_000_000, Usage.CPU_CGROUP, 50_541_364, Usage.MEMORY_V1)));
        assertEquals("consumed 1.23 s CPU time", Consumed.line(new Usage(1_230_000_000, Usage.CPU_RUSAGE, -1, null)));
        assertEquals("consumed 512B memory peak", Consumed.line(new Usage(-1, null, 512, Usage.MEMORY_RSS)));
        assertNull(Consumed.line(Usage.UNKNOWN));
    }
}
