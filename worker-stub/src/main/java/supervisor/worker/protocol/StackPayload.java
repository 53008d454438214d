package supervisor.worker.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The payload of a STACK frame: the stack of the thread that ran a call, top frame first, as UTF-8
 * lines {@code at CLASS.METHOD(SOURCE)\n}, where SOURCE is {@code FILE:LINE}, {@code FILE},
 * {@code Native Method} or {@code Unknown Source}: what {@link StackTraceElement#toString()} writes
 * without the class loader and module (nor, for a native method, its file). No frames (an empty
 * payload): the call had not started.
 *
 * <p>Bounded: at most {@value #MAX_FRAMES} frames (the top ones) and {@value #MAX_BYTES} bytes,
 * bottom frames dropped first; the bound keeps a deep recursion from costing a large frame at the
 * moment the supervisor waits for it.
 *
 * @param frames the frames, top first; never null
 */
public record StackPayload(List<StackTraceElement> frames) {
    /** The most frames a STACK frame carries. */
    public static final int MAX_FRAMES = 64;
    /** The most bytes a STACK frame's payload has (less if the maximum frame is smaller). */
    public static final int MAX_BYTES = 16 * 1024;

    private static final String AT = "at ";
    private static final String NATIVE = "Native Method";
    private static final String UNKNOWN = "Unknown Source";

    public StackPayload {
        frames = List.copyOf(Objects.requireNonNull(frames, "frames"));
    }

    /** The top {@value #MAX_FRAMES} frames of {@code stack}. */
    public static StackPayload of(StackTraceElement[] stack) {
        return new StackPayload(Arrays.asList(stack).subList(0, Math.min(stack.length, MAX_FRAMES)));
    }

    /**
     * The lines, within {@code maxPayload} and {@value #MAX_BYTES} bytes: bottom frames that do not
     * fit are left out (so a frame whose own line does not fit leaves out every frame below it too).
     */
    public byte[] encode(int maxPayload) {
        int budget = Math.min(maxPayload, MAX_BYTES);
        StringBuilder text = new StringBuilder();
        int bytes = 0;
        for (StackTraceElement frame : frames) {
            String line = line(frame) + "\n";
            int length = line.getBytes(StandardCharsets.UTF_8).length;
            if (bytes + length > budget) {
                break;
            }
            text.append(line);
            bytes += length;
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** {@code at CLASS.METHOD(SOURCE)}; newlines in names (never in Java's) become spaces. */
    public static String line(StackTraceElement frame) {
        String source = frame.isNativeMethod() ? NATIVE
                : frame.getFileName() == null ? UNKNOWN
                : frame.getLineNumber() >= 0 ? frame.getFileName() + ":" + frame.getLineNumber()
                : frame.getFileName();
        return (AT + frame.getClassName() + "." + frame.getMethodName() + "(" + source + ")").replace('\n', ' ');
    }

    /**
     * Parses a STACK payload.
     *
     * @throws ProtocolException if a line is not {@code at CLASS.METHOD(SOURCE)}, the payload
     *     does not end with a newline, or it holds more than {@value #MAX_FRAMES} frames or
     *     {@value #MAX_BYTES} bytes
     */
    public static StackPayload decode(byte[] payload) throws ProtocolException {
        // The bounds hold on this side too: a worker that breaks them (a hostile one, up to the
        // frame limit of 64 MiB) must not put its bytes into an exception or a JSON line.
        if (payload.length > MAX_BYTES) {
            throw new ProtocolException("stack payload of " + payload.length + " bytes (at most " + MAX_BYTES + ")");
        }
        String text = new String(payload, StandardCharsets.UTF_8);
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new ProtocolException("stack payload does not end with a newline");
        }
        List<StackTraceElement> frames = new ArrayList<>();
        if (!text.isEmpty()) {
            String[] lines = text.split("\n", -1);
            if (lines.length - 1 > MAX_FRAMES) {
                throw new ProtocolException("stack payload of " + (lines.length - 1) + " frames (at most " + MAX_FRAMES + ")");
            }
            for (int i = 0; i < lines.length - 1; i++) { // the last is the empty rest after the final newline
                frames.add(parse(lines[i], i + 1));
            }
        }
        return new StackPayload(frames);
    }

    private static StackTraceElement parse(String line, int lineNumber) throws ProtocolException {
        // Class names (binary names) and method names never hold '(', so the first one opens SOURCE.
        int open = line.indexOf('(');
        int dot = open < 0 ? -1 : line.lastIndexOf('.', open);
        if (!line.startsWith(AT) || !line.endsWith(")") || dot <= AT.length() || dot + 1 >= open) {
            throw new ProtocolException("stack line " + lineNumber + " is not 'at CLASS.METHOD(SOURCE)': '"
                    + (line.length() > 200 ? line.substring(0, 200) + "..." : line) + "'");
        }
        String className = line.substring(AT.length(), dot);
        String method = line.substring(dot + 1, open);
        String source = line.substring(open + 1, line.length() - 1);
        if (source.equals(NATIVE)) {
            return new StackTraceElement(className, method, null, -2);
        }
        if (source.equals(UNKNOWN)) {
            return new StackTraceElement(className, method, null, -1);
        }
        int colon = source.lastIndexOf(':');
        if (colon > 0 && colon < source.length() - 1 && source.substring(colon + 1).chars().allMatch(c -> c >= '0' && c <= '9')
                && source.length() - colon - 1 <= 9) {
            return new StackTraceElement(className, method, source.substring(0, colon),
                    Integer.parseInt(source.substring(colon + 1)));
        }
        return new StackTraceElement(className, method, source, -1);
    }
}
