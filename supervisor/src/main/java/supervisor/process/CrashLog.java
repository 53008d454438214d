package supervisor.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a JVM's crash log ({@code hs_err_pidN.log}) says about the crash: the signal that really
 * hit it and the frame it hit. A JVM that gets SIGSEGV in native code writes the log and then
 * aborts, so its parent sees SIGABRT; the log's header names the real signal, and its
 * "Problematic frame" line the library and function, which is what a user needs first.
 *
 * @param path the log
 * @param signal "SIGSEGV", or null when the header names none (an internal error, say)
 * @param frame "libfoo.so (foo_decode+0x1c)", "libjvm.so (Unsafe_PutLong+0x4e)", or null
 */
public record CrashLog(Path path, String signal, String frame) {
    /** The header is short; a truncated or odd log is read no further than this. */
    private static final int MAX_LINES = 60;

    /** Reads the header of {@code path}; empty if it cannot be read at all. */
    public static Optional<CrashLog> read(Path path) {
        String signal = null;
        String frame = null;
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.ISO_8859_1)) {
            boolean frameNext = false;
            String line;
            for (int n = 0; n < MAX_LINES && (line = in.readLine()) != null; n++) {
                String t = line.startsWith("#") ? line.substring(1).trim() : line.trim();
                if (signal == null && t.startsWith("SIG") && t.contains(" (0x")) {
                    // "SIGSEGV (0xb) at pc=0x00007f5e4c1e5b35, pid=1234, tid=1235"
                    signal = t.substring(0, t.indexOf(' '));
                } else if (t.equals("Problematic frame:")) {
                    frameNext = true;
                } else if (frameNext) {
                    frame = frame(t);
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.of(new CrashLog(path, signal, frame));
    }

    /** "C  [libfoo.so+0x1a0b5]  foo_decode+0x1c" becomes "libfoo.so (foo_decode+0x1c)". */
    static String frame(String line) {
        int open = line.indexOf('[');
        int close = line.indexOf(']', open + 1);
        if (open < 0 || close < 0) {
            return line.isEmpty() ? null : line;
        }
        String library = line.substring(open + 1, close);
        int plus = library.indexOf('+');
        if (plus > 0) {
            library = library.substring(0, plus);
        }
        String function = line.substring(close + 1).trim();
        return function.isEmpty() ? library : library + " (" + function + ")";
    }

    /** "SIGSEGV in libfoo.so (foo_decode+0x1c)", as much of it as the log said. */
    public String describe() {
        if (signal == null && frame == null) {
            return "a crash";
        }
        if (frame == null) {
            return signal;
        }
        return (signal == null ? "a crash" : signal) + " in " + frame;
    }
}
