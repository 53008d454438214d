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
        write(message);
    }

    /** Something the user should know. Always written. */
    public static void warn(String message) {
        write(message);
    }

    /** Details for whoever asked for them with --verbose. */
    public static void debug(String message) {
        if (debug) {
            write("debug: " + message);
        }
    }

    private static final boolean TRACE = System.getenv("SUPERVISOR_TRACE") != null;

    /** Timestamps (epoch microseconds) for start-up measurements; SUPERVISOR_TRACE=1 turns them on. */
    public static void trace(String event) {
        if (TRACE) {
            java.time.Instant now = java.time.Instant.now();
            write("trace: " + (now.getEpochSecond() * 1_000_000 + now.getNano() / 1000) + " " + event);
        }
    }

    private static void write(String message) {
        String line = "supervisor: " + message.replace('\n', ' ') + "\n";
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
