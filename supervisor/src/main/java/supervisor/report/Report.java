package supervisor.report;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import supervisor.log.Reasons;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.platform.Cgroups;

/**
 * What every report holds, whatever the command: the supervisor's arguments, when it started and
 * ended, how the run ended and with which status. Facts are recorded as they happen, from any
 * thread; the file is written once, at the end ({@link #write()}), so that a reader never sees a
 * half-written report: the JSON goes to a new file in the same directory, which then replaces the
 * report by a rename.
 */
public abstract class Report {
    /** The schema's version: it changes only when a field changes meaning or goes; new fields may come. */
    public static final int VERSION = 1;
    /** The outcome of a command line that was refused (status 2): nothing ran. */
    public static final String USAGE = "usage";
    /** The outcome when the task or the workers could not be started (125, 126, 127). */
    public static final String START_FAILED = "start_failed";
    /** The outcome when the supervisor itself failed while it ran (125). */
    public static final String ERROR = "error";

    /**
     * Made when a report is written, not when the class loads: every run and pool command makes a
     * Report, most write none, and java.time's formatters cost 5-8 ms on a one-shot run's critical
     * path to initialise.
     */
    private static final class Iso {
        static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
                .withZone(ZoneOffset.UTC);
    }

    private final String mode;
    private final List<String> argv;
    private final Instant startedAt = Instant.now();
    private final long startedNanos = System.nanoTime();
    private volatile Path path;
    private String outcome; // guarded by this
    private int exitStatus = -1; // guarded by this
    private String error; // guarded by this

    /**
     * @param mode "run" or "pool"
     * @param argv the supervisor's arguments after the command
     */
    protected Report(String mode, List<String> argv) {
        this.mode = mode;
        this.argv = List.copyOf(argv);
    }

    /** Where the report goes; none until this is called. */
    public void to(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** How the run ended: one of the outcomes of its command, and the supervisor's exit status. */
    public synchronized void end(String outcome, int exitStatus) {
        this.outcome = outcome;
        this.exitStatus = exitStatus;
    }

    /** The supervisor's own line about a failure (usage, start, error); the first one is kept. */
    public synchronized void error(String message) {
        if (error == null) {
            error = message;
        }
    }

    public synchronized String outcome() {
        return outcome;
    }

    /** The command's own fields, after the common ones. */
    protected abstract void body(Map<String, Object> json);

    /** The whole report as of now, as JSON text. */
    public synchronized String json() {
        long endedNanos = System.nanoTime();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", VERSION);
        json.put("mode", mode);
        json.put("argv", argv);
        json.put("started_at", Iso.FORMAT.format(startedAt));
        json.put("ended_at", Iso.FORMAT.format(startedAt.plusNanos(endedNanos - startedNanos)));
        json.put("wall_seconds", seconds(endedNanos - startedNanos));
        json.put("outcome", outcome);
        json.put("exit_status", exitStatus);
        json.put("error", error);
        body(json);
        return JsonText.render(json);
    }

    /**
     * Writes the report, if a path was given: to a new file beside it, then renamed over it, so
     * that the report appears whole or not at all. A failure is said on stderr and changes no
     * exit status: the run's outcome stands.
     *
     * @return false when the report could not be written
     */
    public boolean write() {
        Path target = path;
        if (target == null) {
            return true;
        }
        byte[] bytes = json().getBytes(StandardCharsets.UTF_8);
        Path dir = target.toAbsolutePath().getParent();
        Path temp = null;
        try {
            // CREATE_NEW honours the umask, as the report itself would; a name taken is drawn again.
            for (int attempt = 0; temp == null; attempt++) {
                Path t = dir.resolve("." + target.getFileName() + "." + Cgroups.randomName() + ".tmp");
                try (OutputStream out = Files.newOutputStream(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    temp = t;
                    out.write(bytes);
                } catch (FileAlreadyExistsException e) {
                    if (attempt == 8) {
                        throw e;
                    }
                }
            }
            // Checked before the run; checked again, as something else may have been put there since:
            // a rename replaces what the path names, not what a link points to, so a symbolic
            // link, device, FIFO or socket would be replaced by a regular file.
            String notRegular = notRegular(target);
            if (notRegular != null) {
                Log.error("cannot write the report " + Printable.quote(target.toString()) + ": it is " + notRegular
                        + " now, which it would replace");
                Files.deleteIfExists(temp);
                return false;
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (IOException | RuntimeException e) {
            String why = e instanceof NoSuchFileException && !Files.isDirectory(dir) ? "its directory is gone"
                    : Reasons.reason(e);
            Log.error("cannot write the report " + Printable.quote(target.toString()) + ": " + why);
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException gone) {
                    // nothing more to do
                }
            }
            return false;
        }
    }

    /**
     * What {@code path} is when it is there and not a regular file ("a symbolic link", "a
     * directory", "a device, FIFO or socket"), looked at without following a link; null for a
     * regular file or nothing.
     */
    public static String notRegular(Path path) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null; // nothing there (or not visible): the write says what is wrong
        }
        return a.isRegularFile() ? null : a.isSymbolicLink() ? "a symbolic link"
                : a.isDirectory() ? "a directory" : "a device, FIFO or socket";
    }

    /** Nanoseconds as seconds with three decimals, for JSON. */
    static BigDecimal seconds(long nanos) {
        return BigDecimal.valueOf(nanos, 9).setScale(3, RoundingMode.HALF_UP);
    }

    /** Nanoseconds since the supervisor started. */
    long sinceStart(long nanoTime) {
        return nanoTime - startedNanos;
    }
}
