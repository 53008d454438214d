package supervisor.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The supervisor's own messages. They go to stderr, which the task shares, so each message is one
 * line starting with {@code supervisor: } and written with a single write(2): a line split over
 * two writes could have task output land in the middle of it. Never stdout: that is the task's.
 */
public final class Log {
    private static final FileOutputStream STDERR = new FileOutputStream(FileDescriptor.err);
    private static volatile boolean debug;
    /**
     * True when stderr is the journal (JOURNAL_STREAM names its device and inode): lines then carry
     * syslog priorities, "<3>" for errors, "<4>" warnings, "<6>" information, "<7>" debug.
     */
    private static final boolean JOURNAL = stderrIsJournal(System.getenv("JOURNAL_STREAM"));

    private Log() {
    }

    public static void setDebug(boolean on) {
        debug = on;
    }

    public static boolean debugEnabled() {
        return debug;
    }

    /** Something failed, or a task was stopped. Always written. */
    public static void error(String message) {
        write(JOURNAL ? "<3>" : "", message);
    }

    /** Something the user should know. Always written. */
    public static void warn(String message) {
        write(JOURNAL ? "<4>" : "", message);
    }

    /** Informational, always written: a summary, say. */
    public static void info(String message) {
        write(JOURNAL ? "<6>" : "", message);
    }

    /** Details for whoever asked for them with --verbose. */
    public static void debug(String message) {
        if (debug) {
            write(JOURNAL ? "<7>" : "", "debug: " + message);
        }
    }

    static boolean stderrIsJournal(String journalStream) {
        if (journalStream == null || journalStream.indexOf(':') < 0) {
            return false;
        }
        try {
            java.nio.file.Path err = java.nio.file.Path.of("/proc/self/fd/2");
            Object dev = java.nio.file.Files.getAttribute(err, "unix:dev");
            Object ino = java.nio.file.Files.getAttribute(err, "unix:ino");
            return journalStream.equals(dev + ":" + ino);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static final boolean TRACE = System.getenv("SUPERVISOR_TRACE") != null;

    /** Timestamps (epoch microseconds) for start-up measurements; SUPERVISOR_TRACE=1 turns them on. */
    public static void trace(String event) {
        if (TRACE) {
            java.time.Instant now = java.time.Instant.now();
            write("", "trace: " + (now.getEpochSecond() * 1_000_000 + now.getNano() / 1000) + " " + event);
        }
    }

    private static void write(String priority, String message) {
        String line = priority + "supervisor: " + message.replace('\n', ' ') + "\n";
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
