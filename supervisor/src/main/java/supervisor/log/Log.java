package supervisor.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The supervisor's own messages, the one place every package writes them through.
 *
 * <p>In a library (a {@code WorkerPool} or {@code TaskRunner} inside someone's application) they go
 * to the {@link System.Logger} named {@code supervisor}, so that the application decides where they
 * end up: error, warn, info and debug map to the levels of the same names.
 *
 * <p>The command line calls {@link #useStderr()} first thing. Messages then go to stderr, which
 * the task shares, so each message is one line starting with {@code supervisor: } and written with
 * a single write(2): a line split over two writes could have task output land in the middle of it.
 * Never stdout: that is the task's. No logger is looked up on that path: it costs start-up time.
 */
public final class Log {
    private static final FileOutputStream STDERR = new FileOutputStream(FileDescriptor.err);
    private static volatile boolean stderr;
    private static volatile boolean debug;
    private static volatile String prefix = "supervisor: ";
    private static volatile boolean errorsOnly;
    /**
     * True when stderr is the journal (JOURNAL_STREAM names its device and inode): lines then carry
     * syslog priorities, "<3>" for errors, "<4>" warnings, "<6>" information, "<7>" debug.
     */
    private static final boolean JOURNAL = stderrIsJournal(System.getenv("JOURNAL_STREAM"));

    private static final boolean TRACE = System.getenv("SUPERVISOR_TRACE") != null;

    private Log() {
    }

    /** Held apart so that the command line, which never logs through it, never loads it. */
    private static final class Library {
        static final System.Logger LOGGER = System.getLogger("supervisor");
    }

    /** From now on, messages are {@code supervisor: } lines on stderr: for the command line only. */
    public static void useStderr() {
        stderr = true;
    }

    /**
     * As {@link #useStderr()}, for a command that speaks another program's language
     * ({@code timeout}): lines start with {@code prefix} ("timeout: "), and only errors are
     * written; warnings and information, which that program would not give, are dropped.
     */
    public static void useStderr(String prefix) {
        Log.prefix = prefix;
        errorsOnly = true;
        stderr = true;
    }

    /** Whether debug messages are written on stderr (--verbose); the logger has its own levels. */
    public static void setDebug(boolean on) {
        debug = on;
    }

    public static boolean debugEnabled() {
        return stderr ? debug : Library.LOGGER.isLoggable(System.Logger.Level.DEBUG);
    }

    /** Something failed, or a task was stopped. Always written. */
    public static void error(String message) {
        if (stderr) {
            write(JOURNAL ? "<3>" : "", message);
        } else {
            Library.LOGGER.log(System.Logger.Level.ERROR, message);
        }
    }

    /** Something the user should know. Always written. */
    public static void warn(String message) {
        if (stderr) {
            if (!errorsOnly) {
                write(JOURNAL ? "<4>" : "", message);
            }
        } else {
            Library.LOGGER.log(System.Logger.Level.WARNING, message);
        }
    }

    /** Informational, always written: a summary, say. */
    public static void info(String message) {
        if (stderr) {
            if (!errorsOnly) {
                write(JOURNAL ? "<6>" : "", message);
            }
        } else {
            Library.LOGGER.log(System.Logger.Level.INFO, message);
        }
    }

    /** Details for whoever asked for them with --verbose, or a logger at DEBUG level. */
    public static void debug(String message) {
        if (stderr) {
            if (debug && !errorsOnly) {
                write(JOURNAL ? "<7>" : "", "debug: " + message);
            }
        } else {
            Library.LOGGER.log(System.Logger.Level.DEBUG, message);
        }
    }

    static boolean stderrIsJournal(String journalStream) {
        if (journalStream == null || journalStream.indexOf(':') < 0) {
            return false;
        }
        try {
            Path err = Path.of("/proc/self/fd/2");
            Object dev = Files.getAttribute(err, "unix:dev");
            Object ino = Files.getAttribute(err, "unix:ino");
            return journalStream.equals(dev + ":" + ino);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Timestamps (epoch microseconds) for start-up measurements; SUPERVISOR_TRACE=1 turns them on.
     * Always on stderr: they measure the command line.
     */
    public static void trace(String event) {
        if (TRACE) {
            Instant now = Instant.now();
            write("", "trace: " + (now.getEpochSecond() * 1_000_000 + now.getNano() / 1000) + " " + event);
        }
    }

    private static void write(String priority, String message) {
        String line = priority + prefix + message.replace('\n', ' ') + "\n";
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        synchronized (STDERR) {
            try {
                STDERR.write(bytes); // FileOutputStream: one write(2) for the whole array
            } catch (IOException e) {
                // stderr is closed or broken: there is nobody left to tell.
            }
        }
    }
}
