package supervisor.cli.report;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.log.Reasons;
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
    /** Set by {@link #refuse()}: no report at all, not even to SUPERVISOR_REPORT. */
    private volatile boolean refused;
    /** Guards the report's directory and temporary file, which {@link #open()} makes. */
    private final Object file = new Object();
    private SecureDirectoryStream<Path> dir; // guarded by file
    private Path tempName; // guarded by file: relative to dir
    private SeekableByteChannel temp; // guarded by file
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

    /** The supervisor's arguments after the command, as given. */
    public List<String> argv() {
        return argv;
    }

    /** Where the report goes; none until this is called. A temporary file made for another path goes. */
    public void to(Path path) {
        if (!Objects.equals(path, this.path)) {
            discard();
        }
        this.path = path;
    }

    /**
     * No report: its path is one of the supervisor's own inputs or outputs, which the report
     * would replace; nor is one written to any other path (such as SUPERVISOR_REPORT's).
     */
    public void refuse() {
        to(null);
        refused = true;
    }

    public boolean refused() {
        return refused;
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
     * Pins the report's directory and creates a file in it, now, so that a
     * directory where no file can be created is known before anything starts, and so that the
     * report goes to the directory its path named at the start: the directory is held open and
     * the file is created, looked at and renamed relative to it (openat, fstatat, renameat), so a
     * directory moved and replaced by a link during the run cannot send the report elsewhere.
     * The probe file is removed at once, so that a kill -9 of the supervisor during the run
     * leaves nothing of ours there; {@link #write()} makes the real one at the end.
     *
     * @throws IOException when the directory cannot be opened or no file can be created in it
     */
    public void open() throws IOException {
        synchronized (file) {
            Path target = path;
            if (target == null || dir != null) {
                return;
            }
            DirectoryStream<Path> stream = Files.newDirectoryStream(target.toAbsolutePath().getParent());
            if (!(stream instanceof SecureDirectoryStream<Path> secure)) {
                stream.close(); // Linux always gives one; without it the directory cannot be pinned
                throw new FileSystemException(target.toString(), null, "the directory cannot be held open");
            }
            dir = secure;
            try {
                createTemp(target);
                dropTemp();
            } catch (IOException | RuntimeException e) {
                discard();
                throw e;
            }
        }
    }

    /** The report's temporary file, new, in the pinned directory. */
    private void createTemp(Path target) throws IOException {
        // CREATE_NEW honours the umask, as the report itself would; a name taken is drawn again.
        for (int attempt = 0; temp == null; attempt++) {
            Path name = Path.of("." + target.getFileName() + "." + Cgroups.randomName() + ".tmp");
            try {
                temp = dir.newByteChannel(name, Set.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
                tempName = name;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 8) {
                    throw e;
                }
            }
        }
    }

    /** Closes and removes the temporary file, if any. */
    private void dropTemp() {
        try {
            if (temp != null) {
                temp.close();
            }
            if (tempName != null) {
                dir.deleteFile(tempName);
            }
        } catch (IOException e) {
            // gone already (its directory removed): nothing more to do
        }
        temp = null;
        tempName = null;
    }

    /** Removes the temporary file, if any, and lets the pinned directory go. */
    public void discard() {
        synchronized (file) {
            dropTemp();
            try {
                if (dir != null) {
                    dir.close();
                }
            } catch (IOException e) {
                // nothing more to do
            }
            dir = null;
        }
    }

    /**
     * Writes the report, if a path was given: to a temporary file in the directory {@link #open()}
     * pinned (or pins now), then renamed over it, so that the report appears whole or not at all. A failure is
     * said on stderr and changes no exit status: the run's outcome stands.
     *
     * @return false when the report could not be written
     */
    public boolean write() {
        Path target = path;
        if (target == null) {
            return true;
        }
        byte[] bytes = json().getBytes(StandardCharsets.UTF_8);
        synchronized (file) {
            try {
                open();
                createTemp(target);
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    temp.write(buffer);
                }
                temp.close();
                // Checked before the run; checked again, as something else may have been put there since:
                // a rename replaces what the path names, not what a link points to, so a symbolic
                // link, device, FIFO or socket would be replaced by a regular file.
                Path name = target.getFileName();
                String notRegular = notRegular(() -> dir.getFileAttributeView(name, BasicFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS).readAttributes());
                if (notRegular != null) {
                    Log.error("cannot write the report " + Printable.quote(target.toString()) + ": it is " + notRegular
                            + " now, which it would replace");
                    return false;
                }
                dir.move(tempName, dir, name); // renameat: atomic, in the directory pinned at the start
                tempName = null; // it is the report now
                return true;
            } catch (IOException | RuntimeException e) {
                String why = e instanceof NoSuchFileException && !Files.isDirectory(target.toAbsolutePath().getParent())
                        ? "its directory is gone" : Reasons.reason(e);
                Log.error("cannot write the report " + Printable.quote(target.toString()) + ": " + why);
                return false;
            } finally {
                discard();
            }
        }
    }

    /**
     * What {@code path} is when it is there and not a regular file ("a symbolic link", "a
     * directory", "a device, FIFO or socket"), looked at without following a link; null for a
     * regular file or nothing.
     */
    public static String notRegular(Path path) {
        return notRegular(() -> Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    }

    private interface Attributes {
        BasicFileAttributes read() throws IOException;
    }

    private static String notRegular(Attributes attributes) {
        BasicFileAttributes a;
        try {
            a = attributes.read();
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
