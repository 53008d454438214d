package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/** {@code supervisor pool}, driven as a user would, with a worker jar whose tasks misbehave. */
class PoolCommandIT {
    private static final String WORKER = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString();
    private static final Duration LONG = Duration.ofSeconds(120);
    private static final Pattern LINE = Pattern.compile(
            "\\{\"line\":(\\d+),\"status\":\"(ok|failed|timeout|crashed|protocol|unavailable)\""
            + "(,\"output\":\"(?:[^\"\\\\]|\\\\.)*\"|,\"output_base64\":\"[A-Za-z0-9+/=]*\"|,\"error\":\"(?:[^\"\\\\]|\\\\.)*\")?"
            + "(?:,\"(?:timeout_ms|exit_status|input_bytes|max_input_bytes)\":\\d+)*"
            + "(?:,\"stack\":\\[\"at [^\"\\\\]+\"(?:,\"at [^\"\\\\]+\"){0,7}])?"
            + ",\"attempts\":(\\d+),\"ms\":(\\d+)}");

    private static Supervisor pool(String input, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("pool"));
        args.addAll(List.of(options));
        args.add(WORKER);
        return Supervisor.builder(args.toArray(String[]::new))
                .stdin(input.getBytes(StandardCharsets.UTF_8)).start();
    }

    /** Parses and checks every output line; returns them as [line, status, field, attempts]. */
    private static List<String[]> parse(String stdout) {
        List<String[]> out = new ArrayList<>();
        for (String l : stdout.split("\n", -1)) {
            if (l.isEmpty()) {
                continue;
            }
            Matcher m = LINE.matcher(l);
            assertTrue(m.matches(), "not a well-formed answer: " + l);
            out.add(new String[] {m.group(1), m.group(2), m.group(3) == null ? "" : m.group(3), m.group(4)});
        }
        assertTrue(stdout.isEmpty() || stdout.endsWith("\n"), "the last line is complete");
        return out;
    }

    @Test
    void everyLineGetsItsAnswerInOrder() throws Exception {
        String input = "echo hello\nthrow bad\nexit 3\n\nlatin1 caf\u00e9\necho \"quoted\\\"\nprint to fd 1\nhang\necho last";
        try (Supervisor s = pool(input, "--workers", "2", "--timeout", "1s", "--grace", "200ms")) {
            assertEquals(1, s.exitCode(LONG), "some call is not ok: " + s.stderr());
            List<String[]> lines = parse(s.stdout());
            assertEquals(9, lines.size(), s.stdout());
            for (int i = 0; i < lines.size(); i++) {
                assertEquals(Integer.toString(i + 1), lines.get(i)[0]);
            }
            assertEquals("ok", lines.get(0)[1]);
            assertEquals(",\"output\":\"hello\"", lines.get(0)[2]);
            assertEquals("failed", lines.get(1)[1]);
            assertEquals(",\"error\":\"java.lang.IllegalStateException: bad\"", lines.get(1)[2]);
            assertEquals("crashed", lines.get(2)[1]);
            assertTrue(lines.get(2)[2].contains("exited with status 3"), lines.get(2)[2]);
            assertTrue(s.stdout().contains("\"line\":3,\"status\":\"crashed\",") && s.stdout().contains(",\"exit_status\":3,"),
                    "the exit status as a field: " + s.stdout());
            assertTrue(s.stdout().contains(",\"timeout_ms\":1000,"), "the timeout as a field: " + s.stdout());
            assertEquals("failed", lines.get(3)[1], "a blank line is a call with empty input");
            assertEquals(",\"output_base64\":\"Y2Fm6Q==\"", lines.get(4)[2], "Latin-1 bytes are not UTF-8");
            assertEquals(",\"output\":\"\\\"quoted\\\\\\\"\"", lines.get(5)[2]);
            assertEquals(",\"output\":\"printed\"", lines.get(6)[2]);
            assertEquals("timeout", lines.get(7)[1]);
            // Where the hung call was: the top frames of its worker's stack at the timeout.
            assertTrue(s.stdout().matches("(?s).*\\{\"line\":8,\"status\":\"timeout\",\"error\":\"call \\d+ timed out after 1000 ms"
                    + " in worker w\\d+(\\.\\d+)? \\(pid \\d+\\), at tasks\\.worker\\.HostileTask\\.spinInDecode\\(HostileTask\\.java:\\d+\\)\","
                    + "\"timeout_ms\":1000,\"stack\":\\[\"at tasks\\.worker\\.HostileTask\\.spinInDecode\\(HostileTask\\.java:\\d+\\)\","
                    + "\"at tasks\\.worker\\.HostileTask\\.call\\(HostileTask\\.java:\\d+\\)\",.*"), s.stdout());
            assertEquals("ok", lines.get(8)[1], "a last line without newline is a call");
            assertTrue(s.stderr().contains("via fd 1: to fd 1"), "worker output goes to stderr: " + s.stderr());
            assertTrue(s.stderr().contains("supervisor: 9 calls: 5 ok, 2 failed, 1 timeout, 1 crashed in "), s.stderr());
        }
    }

    @Test
    void allOkIsZero() throws Exception {
        try (Supervisor s = pool("echo a\necho b\n", "--workers", "1")) {
            assertEquals(0, s.exitCode(LONG));
            assertEquals(2, parse(s.stdout()).size());
            assertNoGoneClaim(s.stderr());
        }
    }

    @Test
    void aHundredThousandLinesWithHangsAndCrashesGiveOneAnswerEach(@TempDir Path dir) throws Exception {
        StringBuilder in = new StringBuilder();
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            in.append(i % 25_000 == 7 ? "hang" : i % 20_000 == 11 ? "exit 9" : "echo " + i).append('\n');
        }
        Path input = Files.writeString(dir.resolve("in.txt"), in);
        Path output = dir.resolve("out.jsonl");
        try (Supervisor s = Supervisor.builder("pool", "--workers", "2", "--timeout", "2s", "--grace", "100ms",
                "--input", input.toString(), "--output", output.toString(), WORKER).start()) {
            assertEquals(1, s.exitCode(LONG), s.stderr());
            List<String[]> lines = parse(Files.readString(output));
            assertEquals(n, lines.size());
            int timeouts = 0;
            int crashes = 0;
            for (int i = 0; i < n; i++) {
                String[] l = lines.get(i);
                assertEquals(Integer.toString(i + 1), l[0]);
                switch (l[1]) {
                    case "timeout" -> timeouts++;
                    case "crashed" -> crashes++;
                    default -> assertEquals(",\"output\":\"" + i + "\"", l[2], "line " + (i + 1));
                }
            }
            assertEquals(4, timeouts);
            assertEquals(5, crashes);
            assertTrue(s.stderr().contains("supervisor: 100000 calls: 99991 ok, 4 timeout, 5 crashed in"), s.stderr());
        }
    }

    @Test
    void shardsSplitTheInputWithoutOverlap() throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            in.append("echo ").append(i).append('\n');
        }
        Set<String> seen = new HashSet<>();
        for (int shard = 0; shard < 3; shard++) {
            try (Supervisor s = pool(in.toString(), "--workers", "1", "--shard", shard + "/3")) {
                assertEquals(0, s.exitCode(LONG));
                for (String[] l : parse(s.stdout())) {
                    assertEquals(shard, (Integer.parseInt(l[0]) - 1) % 3, "line " + l[0] + " in shard " + shard);
                    assertTrue(seen.add(l[0]), "line " + l[0] + " twice");
                }
            }
        }
        assertEquals(30, seen.size());
    }

    @Test
    void sigintLeavesACompletePrefixAndNoProcess() throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            in.append("sleep 50\n");
        }
        try (Supervisor s = pool(in.toString(), "--workers", "2")) {
            s.awaitStdout("\"line\":10,", LONG);
            s.signal("INT");
            assertEquals(130, s.exitCode(LONG), s.stderr());
            List<String[]> lines = parse(s.stdout());
            assertTrue(lines.size() >= 10 && lines.size() < 400, lines.size() + " lines");
            for (int i = 0; i < lines.size(); i++) {
                assertEquals(Integer.toString(i + 1), lines.get(i)[0], "a prefix, in order");
                assertEquals("ok", lines.get(i)[1]);
            }
            assertNoGoneClaim(s.stderr());
        }
    }

    /** A worker stopped by the pool (SHUTDOWN, then its stdin closed) says nothing of a supervisor gone. */
    private static void assertNoGoneClaim(String stderr) {
        assertTrue(!stderr.contains("supervisor is gone") && !stderr.contains("stdin closed"), stderr);
    }

    @Test
    void progressShowsWhileStderrIsATerminal(@TempDir Path dir) throws Exception {
        Path script = Path.of("/usr/bin/script");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(script),
                "util-linux script(1), which gives the command a terminal, is not installed");
        Path input = Files.writeString(dir.resolve("in.txt"), "sleep 150\n".repeat(6));
        Path output = dir.resolve("out.jsonl");
        String command = Supervisor.LAUNCHER.toAbsolutePath() + " pool --workers 1 --input " + input
                + " --output " + output + " " + WORKER;
        ProcessBuilder pb = new ProcessBuilder(script.toString(), "-qec", command, "/dev/null").redirectErrorStream(true);
        String tag = UUID.randomUUID().toString();
        pb.environment().put("SUPERVISOR_TEST_ID", tag);
        Process p = pb.start();
        String tty = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), tty);
        assertTrue(Pattern.compile("\\r\\u001b\\[Ksupervisor: [1-5]/6 calls, \\d+/s, ETA \\d+:\\d\\d, 0 not ok").matcher(tty).find(),
                "a progress line with done/total, rate, ETA and failures: " + tty);
        assertTrue(tty.contains("supervisor: 6 calls: 6 ok in "), tty);
        assertEquals(6, parse(Files.readString(output)).size());
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + tag, Duration.ofSeconds(5));
    }

    @Test
    void badCommandLinesAndJars() throws Exception {
        String[][] usage = {
            {"--workers", "0", WORKER}, {"--workers", "x", WORKER}, {"--shard", "2/2", WORKER},
            {"--timeout", "fast", WORKER}, {"--retries", "-1", WORKER}, {"--frob", WORKER}, {},
            {WORKER, "extra"}, {"--input", "/nonexistent/in.txt", WORKER},
            {"--max-frame", "2147483584", WORKER}, {"--max-frame", "2147483600", WORKER},
            {"--output", "/nonexistent/dir/out.jsonl", WORKER}, {"--input", "/tmp", WORKER}, {"--output", "/tmp", WORKER},
        };
        for (String[] args : usage) {
            List<String> all = new ArrayList<>(List.of("pool"));
            all.addAll(List.of(args));
            try (Supervisor s = Supervisor.builder(all.toArray(String[]::new)).start()) {
                assertEquals(2, s.exitCode(LONG), String.join(" ", args) + ": " + s.stderr());
                assertEquals(1, s.stderr().lines().count(), s.stderr());
                assertTrue(s.stderr().startsWith("supervisor: "), s.stderr());
            }
        }
        try (Supervisor s = Supervisor.builder("pool", "/nonexistent/worker.jar").start()) {
            assertEquals(127, s.exitCode(LONG));
        }
        try (Supervisor s = Supervisor.builder("pool", Supervisor.TASKS.toString()).start()) {
            assertEquals(126, s.exitCode(LONG));
            assertTrue(s.stderr().contains("no Task-Class"), s.stderr());
        }
    }

    // ---- bounded memory, streaming, stopping, failed output (issues 13 and 17) ------------------

    /** Writes a line of {@code n} bytes without holding it: the test's heap stays small too. */
    private static void writeLongLine(Path file, String head, long n, String after) throws Exception {
        try (var out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            out.write(head.getBytes(StandardCharsets.UTF_8));
            byte[] xs = new byte[1 << 16];
            Arrays.fill(xs, (byte) 'x');
            for (long left = n; left > 0; left -= xs.length) {
                out.write(xs, 0, (int) Math.min(xs.length, left));
            }
            out.write(('\n' + after).getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aLineLongerThanAFrameIsAnsweredProtocolAndTheRunGoesOn(@TempDir Path dir) throws Exception {
        // 150 MB against the launcher's 128 MiB heap and the default 64 MiB frame.
        Path input = dir.resolve("in.txt");
        writeLongLine(input, "echo ", 150_000_000L, "echo after\n");
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--input", input.toString(), WORKER).start()) {
            assertEquals(1, s.exitCode(LONG), s.stderr());
            List<String[]> lines = parse(s.stdout());
            assertEquals(2, lines.size(), s.stdout());
            assertEquals("protocol", lines.get(0)[1]);
            assertTrue(s.stdout().contains("\"input_bytes\":150000005,\"max_input_bytes\":67108855,"), s.stdout());
            assertEquals(",\"output\":\"after\"", lines.get(1)[2]);
            assertTrue(s.stderr().contains("supervisor: 2 calls: 1 ok, 1 protocol in "), s.stderr());
            assertTrue(!s.stderr().contains("Error"), s.stderr());
        }
    }

    @Test
    void aBigResultStreamsThroughAndIsCountedOnlyOnceWritten() throws Exception {
        // 20 MB of NULs is 120 MB of JSON: never built as one String on a 128 MiB heap.
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", WORKER).digestStdout()
                .stdin("big 20000000\necho after\n".getBytes(StandardCharsets.UTF_8)).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            long json = "{\"line\":1,\"status\":\"ok\",\"output\":\"".length() + 6L * 20_000_000
                    + "\",\"attempts\":1,\"ms\":".length();
            assertTrue(s.stdoutCount() > json + "{\"line\":2,\"status\":\"ok\",\"output\":\"after\"".length(),
                    s.stdoutCount() + " bytes");
            assertTrue(s.stderr().contains("supervisor: 2 calls: 2 ok in "), s.stderr());
        }
    }

    @Test
    void aClientThatWaitsForEachAnswerGetsItOverAPipe() throws Exception {
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", WORKER).keepStdinOpen().start()) {
            var in = s.process().getOutputStream();
            for (int i = 1; i <= 3; i++) {
                in.write(("echo " + i + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                // The stdin stays open: the answer must come without more input or EOF.
                s.awaitStdout("{\"line\":" + i + ",\"status\":\"ok\",\"output\":\"" + i + "\"", LONG);
            }
            in.close();
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals(3, parse(s.stdout()).size());
        }
    }

    @Test
    void aFifoWithAShardIsReadOnceAndAnsweredLineByLine(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("in.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--shard", "1/2", "--input", fifo.toString(),
                WORKER).start()) {
            // Opening blocks until the supervisor opens its end; the writer then stays open.
            try (var out = Files.newOutputStream(fifo)) {
                out.write("echo 0\necho 1\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                s.awaitStdout("{\"line\":2,\"status\":\"ok\",\"output\":\"1\"", LONG);
                out.write("echo 2\necho 3\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                s.awaitStdout("{\"line\":4,\"status\":\"ok\",\"output\":\"3\"", LONG);
            }
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals(2, parse(s.stdout()).size(), s.stdout());
        }
    }

    @Test
    void devStdinAndProcessSubstitutionAreInputs() throws Exception {
        try (Supervisor s = pool("echo a\necho b\necho c\n", "--workers", "1", "--input", "/dev/stdin", "--shard", "0/2")) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("{\"line\":1,", s.stdout().substring(0, 10));
            assertEquals(2, parse(s.stdout()).size(), s.stdout());
        }
        String tag = UUID.randomUUID().toString();
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", Supervisor.LAUNCHER.toAbsolutePath()
                + " pool --workers 1 --input <(printf 'echo a\\necho b\\n') " + WORKER);
        pb.environment().put("SUPERVISOR_TEST_ID", tag);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), all);
        assertTrue(all.contains("\"line\":2,\"status\":\"ok\",\"output\":\"b\""), all);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + tag, Duration.ofSeconds(5));
    }

    @Test
    void sigtermWhileIdleEndsWithinTheGracePlusOneSecond() throws Exception {
        try (Supervisor s = Supervisor.builder("pool", "--workers", "2", "--grace", "1s", WORKER).keepStdinOpen().start()) {
            var in = s.process().getOutputStream();
            in.write("echo a\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            s.awaitStdout("\"output\":\"a\"", LONG);
            long t0 = System.nanoTime();
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2000, "exited " + ms + " ms after SIGTERM; the grace is 1 s");
            assertEquals(1, parse(s.stdout()).size(), s.stdout());
        }
    }

    @Test
    void sigtermWhileTheInputBlocksSaysSoAndEndsAtOnce(@TempDir Path dir) throws Exception {
        Path report = dir.resolve("r.json");
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--report", report.toString(), WORKER)
                .keepStdinOpen().start()) {
            // No line yet, the writer holds the pipe open: the reader blocks in its read.
            Await.until(LONG, "the reader to wait in a read of the pipe", () -> StatusesIT.batchThreadWaitsIn(s.pid(), "pipe_read"));
            long t0 = System.nanoTime();
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2000, "exited " + ms + " ms after SIGTERM");
            assertTrue(s.stderr().contains("supervisor: got SIGTERM while waiting for input; 0 calls: 0 ok in "), s.stderr());
            assertEquals("signal", StatusesIT.report(report).get("outcome"));
        }
    }

    @Test
    void sigtermDuringAHungCallEndsWithinTheGracePlusOneSecond() throws Exception {
        try (Supervisor s = Supervisor.builder("pool", "--workers", "1", "--grace", "1s", WORKER).keepStdinOpen()
                .stdin("echo a\nhang\necho b\n".getBytes(StandardCharsets.UTF_8)).start()) {
            s.awaitStdout("\"output\":\"a\"", LONG);
            long t0 = System.nanoTime();
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2000, "exited " + ms + " ms after SIGTERM; the grace is 1 s");
            assertEquals(1, parse(s.stdout()).size(), "only the answered line: " + s.stdout());
        }
    }

    @Test
    void aFullOutputEndsTheRunWithOneAndSaysSo() throws Exception {
        try (Supervisor s = pool("echo a\necho b\n", "--workers", "1", "--output", "/dev/full")) {
            assertEquals(1, s.exitCode(Duration.ofSeconds(30)), s.stderr());
            assertTrue(s.stderr().contains("supervisor: cannot write the output /dev/full: No space left on device"), s.stderr());
            assertTrue(s.stderr().contains("supervisor: 0 calls: 0 ok in "), "nothing written, nothing counted: " + s.stderr());
        }
        String[] shells = {
            " pool --workers 1 " + WORKER + " < <(printf 'echo a\\n') > /dev/full",
            " pool --workers 1 " + WORKER + " < <(yes 'echo a' | head -n 20000) | head -n 1 > /dev/null",
        };
        for (String shell : shells) {
            String tag = UUID.randomUUID().toString();
            ProcessBuilder pb = new ProcessBuilder("bash", "-c", Supervisor.LAUNCHER.toAbsolutePath() + shell
                    + "; echo \"status=${PIPESTATUS[0]}\" >&2");
            pb.environment().put("SUPERVISOR_TEST_ID", tag);
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), all);
            assertTrue(all.contains("status=1"), shell + ": " + all);
            assertTrue(all.contains("supervisor: cannot write the output (stdout): "), all);
            Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + tag, Duration.ofSeconds(5));
        }
    }

    @Test
    void theProtocolMaximumFrameIsAccepted() throws Exception {
        try (Supervisor s = pool("echo a\n", "--workers", "1", "--max-frame", "2147483583")) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals(1, parse(s.stdout()).size());
        }
        try (Supervisor s = pool("echo " + "y".repeat(2000) + "\necho b\n", "--workers", "1", "--max-frame", "1024")) {
            assertEquals(1, s.exitCode(LONG), s.stderr());
            List<String[]> lines = parse(s.stdout());
            assertEquals("protocol", lines.get(0)[1]);
            assertTrue(s.stdout().contains("\"input_bytes\":2005,\"max_input_bytes\":1015,"), s.stdout());
            assertEquals("ok", lines.get(1)[1]);
        }
    }
}
