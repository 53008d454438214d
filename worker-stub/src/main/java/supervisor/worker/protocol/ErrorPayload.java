package supervisor.worker.protocol;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The payload of ERROR and FATAL frames: {@code u8 flags}, then three strings, each as
 * {@code u32 byte length | UTF-8 bytes}: exception class name, message, stack trace.
 *
 * <p>Flags: bit 0 ({@link #FLAG_CANCELLED}) the call had been cancelled when it threw; bit 1
 * ({@link #FLAG_MESSAGE_NULL}) the message was null (it is then sent as ""). Other bits are sent
 * as 0 and ignored on receipt.
 *
 * @param cancelled whether the call had been cancelled when it threw (always false for FATAL)
 * @param className the exception's class name, never null
 * @param message the exception's message, null if it had none
 * @param stackTrace the stack trace as {@link Throwable#printStackTrace()} writes it, causes
 *     included, never null
 */
public record ErrorPayload(boolean cancelled, String className, String message, String stackTrace) {
    public static final int FLAG_CANCELLED = 1;
    public static final int FLAG_MESSAGE_NULL = 2;

    // flags, and the three u32 string lengths
    private static final int FIXED_LENGTH = 1 + 3 * 4;
    private static final String TRUNCATED = "... [truncated]";

    public ErrorPayload {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(stackTrace, "stackTrace");
    }

    /**
     * Describes {@code failure}: its class name, message and full stack trace. Never throws: an
     * exception whose {@code getMessage}, {@code toString} or {@code printStackTrace} throws (or
     * whose trace is too deep to print) is described by what could be had, and says so.
     */
    public static ErrorPayload of(Throwable failure, boolean cancelled) {
        String name = failure.getClass().getName();
        String message;
        try {
            message = failure.getMessage();
        } catch (Throwable e) {
            message = "<getMessage() threw " + e.getClass().getName() + ">";
        }
        String trace;
        try {
            StringWriter text = new StringWriter();
            try (PrintWriter printer = new PrintWriter(text)) {
                failure.printStackTrace(printer);
            }
            trace = text.toString();
        } catch (Throwable e) {
            StringBuilder text = new StringBuilder(name).append(": ").append(message)
                    .append(" <printStackTrace() threw ").append(e.getClass().getName()).append(">\n");
            for (StackTraceElement frame : failure.getStackTrace()) {
                text.append("\tat ").append(frame).append('\n');
            }
            trace = text.toString();
        }
        return new ErrorPayload(cancelled, name, message, trace);
    }

    public byte[] encode() {
        byte[] name = utf8(className);
        byte[] text = utf8(message == null ? "" : message);
        byte[] trace = utf8(stackTrace);
        int flags = (cancelled ? FLAG_CANCELLED : 0) | (message == null ? FLAG_MESSAGE_NULL : 0);
        return ByteBuffer.allocate(FIXED_LENGTH + name.length + text.length + trace.length)
                .put((byte) flags)
                .putInt(name.length).put(name)
                .putInt(text.length).put(text)
                .putInt(trace.length).put(trace)
                .array();
    }

    /**
     * This payload, with class name, message and stack trace cut (each marked
     * {@code "... [truncated]"}) as needed so that {@link #encode()} yields at most
     * {@code maxEncodedLength} bytes. Used to keep a huge message or trace within the frame limit.
     *
     * @throws IllegalArgumentException if {@code maxEncodedLength} is below 64
     */
    public ErrorPayload truncatedTo(int maxEncodedLength) {
        if (maxEncodedLength < 64) {
            throw new IllegalArgumentException("cannot fit an error payload in " + maxEncodedLength
                    + " bytes; at least 64 are needed");
        }
        if (encode().length <= maxEncodedLength) {
            return this;
        }
        // The class name is short in practice, the message usually short, the trace long: give
        // each what it needs within a shrinking share of the budget.
        int budget = maxEncodedLength - FIXED_LENGTH;
        String name = cut(className, budget / 4);
        budget -= utf8(name).length;
        String text = message == null ? null : cut(message, budget / 2);
        budget -= text == null ? 0 : utf8(text).length;
        return new ErrorPayload(cancelled, name, text, cut(stackTrace, budget));
    }

    /**
     * Parses an error payload.
     *
     * @throws ProtocolException if it is truncated, a string length exceeds the bytes left, or
     *     bytes follow the stack trace
     */
    public static ErrorPayload decode(byte[] payload) throws ProtocolException {
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        if (!buffer.hasRemaining()) {
            throw new ProtocolException("error payload is empty; it must start with a flags byte");
        }
        int flags = Byte.toUnsignedInt(buffer.get());
        String className = readString(buffer, "class name");
        String message = readString(buffer, "message");
        String stackTrace = readString(buffer, "stack trace");
        if (buffer.hasRemaining()) {
            throw new ProtocolException("error payload has " + buffer.remaining()
                    + " bytes after the stack trace");
        }
        return new ErrorPayload((flags & FLAG_CANCELLED) != 0, className,
                (flags & FLAG_MESSAGE_NULL) != 0 ? null : message, stackTrace);
    }

    private static String readString(ByteBuffer buffer, String what) throws ProtocolException {
        if (buffer.remaining() < 4) {
            throw new ProtocolException("error payload ends before the length of the " + what);
        }
        long length = Integer.toUnsignedLong(buffer.getInt());
        if (length > buffer.remaining()) {
            throw new ProtocolException("error payload: " + what + " length " + length
                    + " exceeds the " + buffer.remaining() + " bytes left");
        }
        byte[] bytes = new byte[(int) length];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** {@code s} if it fits in {@code maxBytes} of UTF-8, else a marked prefix that does. */
    private static String cut(String s, int maxBytes) {
        byte[] bytes = utf8(s);
        if (bytes.length <= maxBytes) {
            return s;
        }
        int end = Math.max(0, maxBytes - TRUNCATED.length());
        // Back up to the start of a UTF-8 sequence so no character is split.
        while (end > 0 && (bytes[end] & 0xC0) == 0x80) {
            end--;
        }
        String marker = maxBytes >= TRUNCATED.length() ? TRUNCATED : "";
        return new String(bytes, 0, end, StandardCharsets.UTF_8) + marker;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
