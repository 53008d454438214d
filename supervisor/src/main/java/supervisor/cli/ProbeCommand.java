package supervisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import supervisor.cli.service.HealthRecord;
import supervisor.log.Printable;
import supervisor.log.Reasons;
import supervisor.units.Durations;

/**
 * {@code supervisor probe --ready FILE | --alive FILE [--max-age DURATION]}: the health file of
 * {@code supervisor run --health-file}, read for a probe that runs a command (a Kubernetes exec
 * probe). Its verdict is one line on stdout and the exit status; it starts nothing, and needs
 * nothing native.
 */
final class ProbeCommand {
    static final String HELP = """
            Usage: supervisor probe --ready FILE [--max-age DURATION]
                   supervisor probe --alive FILE [--max-age DURATION]

            Reads the health file that supervisor run --health-file FILE keeps, and says in one
            line on stdout whether the task is ready or alive, for a probe that runs a command:
            a Kubernetes exec probe, a Docker HEALTHCHECK, a script. See docs/kubernetes.md.

            Options:
              --ready FILE         ready: the task passed its --ready probe, has passed every
                                   check since, and was found healthy at most --max-age ago
                                   (a readiness probe: not ready takes the pod out of its
                                   Service, and restarts nothing)
              --alive FILE         alive: the task was found alive, not frozen and, once
                                   ready, passing its --ready probe, at most --max-age ago
                                   (a liveness probe: not alive restarts the container)
              --max-age DURATION   how long ago the last healthy beat may be (default: 10s;
                                   the supervisor beats every second)
              -h, --help           show this help

            Exit status:
              0   ready, or alive
              1   not: the line says why (no file, not a health file, starting, unhealthy,
                  stopping, or the last healthy beat too long ago)
              2   usage error
            """;
    /** The file is a few hundred bytes; more is not a health file. */
    private static final int LIMIT = 64 * 1024;

    private ProbeCommand() {
    }

    static int run(List<String> args) throws UsageException, HelpRequested {
        Args a = new Args(args, List.of("--ready", "--alive", "--max-age"), HELP, "supervisor probe");
        if (a.jar != null || !a.afterDashes.isEmpty()) {
            throw new UsageException("unexpected argument '" + (a.jar != null ? a.jar : "--") + "' (see supervisor probe --help)");
        }
        String mode = null;
        Path file = null;
        long maxAgeNanos = TimeUnit.SECONDS.toNanos(10);
        for (String[] o : a.options) {
            switch (o[0]) {
                case "--ready", "--alive" -> {
                    if (mode != null) {
                        throw new UsageException(mode + " and " + o[0] + " exclude each other: one probe at a time");
                    }
                    if (o[1].isEmpty() || o[1].indexOf('\0') >= 0) {
                        throw new UsageException(o[0] + ": expected the health file, not " + Printable.quote(o[1]));
                    }
                    mode = o[0];
                    file = Path.of(o[1]);
                }
                default -> {
                    try {
                        maxAgeNanos = Durations.parseNanos(o[1]);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--max-age: " + e.getMessage());
                    }
                    if (maxAgeNanos < TimeUnit.SECONDS.toNanos(1)) {
                        throw new UsageException("--max-age: " + Printable.quote(o[1]) + " is under 1s, the supervisor's"
                                + " beat: every probe would fail");
                    }
                }
            }
        }
        if (mode == null) {
            throw new UsageException("missing --ready FILE or --alive FILE (see supervisor probe --help)");
        }
        String verdict = null;
        boolean passed = false;
        String what = mode.equals("--ready") ? "not ready: " : "not alive: ";
        String quoted = Printable.quote(file.toString());
        String text;
        try {
            text = read(file);
        } catch (IOException e) {
            text = null;
            verdict = what + "cannot read " + quoted + ": " + Reasons.reason(e);
        }
        HealthRecord record = text == null ? null : HealthRecord.parse(text);
        if (verdict != null) {
            // unreadable: said above
        } else if (text == null) {
            verdict = what + quoted + " does not exist (the supervisor is not running, has not started the task"
                    + " yet, or has no --health-file)";
        } else if (record == null) {
            verdict = what + quoted + " is not a health file (it does not begin with '" + HealthRecord.SIGNATURE + "')";
        } else {
            long now = System.currentTimeMillis();
            long maxAgeMillis = TimeUnit.NANOSECONDS.toMillis(maxAgeNanos);
            HealthRecord.Verdict v = mode.equals("--ready") ? record.ready(now, maxAgeMillis) : record.alive(now, maxAgeMillis);
            verdict = v.line();
            passed = v.passed();
        }
        System.out.println(verdict);
        System.out.flush();
        return passed ? 0 : 1;
    }

    /**
     * The file's text, or null if there is none. Read without following a link at its name (the
     * supervisor never makes one there), and at most {@link #LIMIT} bytes: a probe must answer
     * within its timeout whatever the path names.
     */
    private static String read(Path file) throws UsageException, IOException {
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new UsageException(Printable.quote(file.toString()) + " is a directory, not a health file");
        }
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return ""; // a link, FIFO or device: not a health file (and a FIFO would block the read)
        }
        try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return new String(in.readNBytes(LIMIT), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
