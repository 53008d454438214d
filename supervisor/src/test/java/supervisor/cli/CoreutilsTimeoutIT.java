package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * Issue 27, item 6: GNU coreutils' own tests of {@code timeout} (Debian 12's coreutils 9.1,
 * fetched from Debian's archive at run time and never committed) pass against {@code supervisor
 * timeout}, reached as {@code timeout} through a symlink, or fail only where
 * docs/timeout-coreutils.md lists the difference as intended. scripts/coreutils-timeout-tests does
 * the work (a cold run, fetch included, takes about 30-60 s here; a warm one 20-50 s); this test
 * runs it and fails with its output.
 *
 * <p>{@code -Dcoreutils.timeout=/usr/bin/timeout} runs the same tests against GNU's timeout, which
 * proves the harness.
 */
class CoreutilsTimeoutIT {
    /** A run takes under a minute; the script stops a test that hangs after 300 s, and this a run that still does. */
    private static final Duration DEADLINE = Duration.ofMinutes(15);
    /** How much of a failed test's log (its set -x trace) goes into the failure message. */
    private static final int LOG_TAIL = 40;

    @Test
    void gnuCoreutilsTimeoutTestsPassOrDifferAsDocumented(@TempDir Path dir) throws Exception {
        // apt-get source unpacks with dpkg-source: the script installs dpkg-dev as root.
        Assumptions.assumeTrue(Procs.isRoot() || onPath("dpkg-source"),
                "fetching coreutils' source needs dpkg-source (dpkg-dev), which only root can install");
        Path script = Supervisor.LAUNCHER.toAbsolutePath().resolveSibling("coreutils-timeout-tests");
        String program = System.getProperty("coreutils.timeout", Supervisor.LAUNCHER.toAbsolutePath().toString());
        String id = UUID.randomUUID().toString();
        Path output = dir.resolve("output.txt");
        ProcessBuilder pb = new ProcessBuilder(script.toString(), program)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("SUPERVISOR_TEST_ID", id);
        // The run directory (the tests' logs, kept when one fails) goes with this test's directory.
        pb.environment().put("TMPDIR", dir.toString());
        Process run = pb.start();
        try {
            if (!run.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError(script + " did not end within " + DEADLINE.toMinutes() + " min; its output:\n"
                        + withLogs(Files.readString(output)));
            }
            assertEquals(0, run.exitValue(), script + " " + program + " said:\n" + withLogs(Files.readString(output)));
        } finally {
            run.descendants().forEach(ProcessHandle::destroyForcibly);
            run.destroyForcibly();
        }
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(10));
    }

    /** The output, and the end of each log it names (they go with the test's directory). */
    private static String withLogs(String output) throws IOException {
        StringBuilder b = new StringBuilder(output);
        for (String line : output.split("\n")) {
            String log = line.strip();
            if (log.startsWith("log: ") && Files.isRegularFile(Path.of(log.substring(5)))) {
                List<String> lines = Files.readAllLines(Path.of(log.substring(5)));
                b.append("\n--- the last lines of ").append(log.substring(5)).append(":\n");
                lines.subList(Math.max(0, lines.size() - LOG_TAIL), lines.size()).forEach(l -> b.append(l).append('\n'));
            }
        }
        return b.toString();
    }

    private static boolean onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return true;
            }
        }
        return false;
    }
}
