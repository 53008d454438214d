package supervisor.worker.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The payload of a HELLO frame: {@code u32 magic "SUPV" | u16 version | UTF-8 "key=value\n" lines}.
 *
 * <p>Versioning rule: each side sends the version it speaks and fails on receiving any other, so
 * an incompatible change means a new version number. Compatible additions are new keys; unknown
 * keys are ignored by readers.
 *
 * @param version the protocol version the sender speaks
 * @param properties informational key/value pairs in sending order; keys are non-empty and hold
 *     neither '=' nor a newline, values hold no newline
 */
public record Hello(int version, Map<String, String> properties) {
    /** "SUPV" in ASCII. */
    public static final int MAGIC = 0x53555056;
    /** The only protocol version this code speaks. */
    public static final int VERSION = 1;

    /**
     * The key by which each side says it speaks STACK: in the supervisor's HELLO, "answer a CANCEL
     * with a STACK frame"; in the worker's, "I will, when asked". Its value is {@code 1}.
     */
    public static final String STACK_ON_CANCEL = "stack-on-cancel";

    /**
     * The key of pipelining: in the worker's HELLO, {@code 1}: "I take several unanswered calls
     * and answer them in order"; in the supervisor's, a number N of 1 or more: "I may send up to
     * N calls before their answers". A worker whose HELLO does not say it gets one call at a time.
     */
    public static final String PIPELINE = "pipeline";

    /**
     * The key of the control channel. In the supervisor's HELLO, the path of a FIFO it made and
     * holds open for writing: the worker opens it for reading and takes CANCEL there, so that its
     * call thread can read the CALLs on stdin itself, with no hand-over between two threads, while
     * a CANCEL still reaches a call that runs; its end tells the worker that the supervisor is gone.
     * In the worker's, {@code 1}: "I read CANCEL there only". This worker refuses a HELLO without
     * it; a supervisor sends CANCEL on stdin to a worker that does not say it (an older stub).
     * See docs/protocol.md.
     */
    public static final String CONTROL = "control";

    /** The most calls a supervisor may ask a worker to hold unanswered. */
    public static final int MAX_PIPELINE = 1024;

    private static final int FIXED_LENGTH = 6;

    /** @throws IllegalArgumentException if the version does not fit a u16 or a key or value is bad */
    public Hello {
        if (version < 0 || version > 0xFFFF) {
            throw new IllegalArgumentException("hello version " + version + " does not fit in a u16");
        }
        LinkedHashMap<String, String> copy = new LinkedHashMap<>();
        properties.forEach((key, value) -> {
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("hello key '" + key
                        + "' must be non-empty without '=' or newline");
            }
            if (value.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("hello value of " + key + " contains a newline");
            }
            copy.put(key, value);
        });
        properties = Collections.unmodifiableMap(copy);
    }

    /** True if this HELLO says {@code key=1}. */
    public boolean says(String key) {
        return "1".equals(properties.get(key));
    }

    /**
     * The number {@code key} gives, or {@code otherwise} when absent.
     *
     * @throws ProtocolException if the value is not a whole number in {@code 1..max}
     */
    public int number(String key, int otherwise, int max) throws ProtocolException {
        String value = properties.get(key);
        if (value == null) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new ProtocolException("hello key '" + key + "' must be a number in 1.." + max + ", not '" + value + "'");
    }

    /** A hello of the version this code speaks. */
    public static Hello of(Map<String, String> properties) {
        return new Hello(VERSION, properties);
    }

    public byte[] encode() {
        StringBuilder text = new StringBuilder();
        properties.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        byte[] lines = text.toString().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(FIXED_LENGTH + lines.length)
                .putInt(MAGIC)
                .putShort((short) version)
                .put(lines)
                .array();
    }

    /**
     * Parses and checks a HELLO payload.
     *
     * @throws ProtocolException if the payload is shorter than magic and version, the magic is not
     *     "SUPV", the version is not {@value #VERSION}, a line lacks '=' or a key repeats
     */
    public static Hello decode(byte[] payload) throws ProtocolException {
        Objects.requireNonNull(payload, "payload");
        if (payload.length < FIXED_LENGTH) {
            throw new ProtocolException("hello payload of " + payload.length
                    + " bytes is shorter than magic and version (" + FIXED_LENGTH + " bytes)");
        }
        ByteBuffer buffer = ByteBuffer.wrap(payload);
        int magic = buffer.getInt();
        if (magic != MAGIC) {
            throw new ProtocolException(String.format(
                    "bad hello magic 0x%08x (expected 0x%08x \"SUPV\")", magic, MAGIC));
        }
        int version = Short.toUnsignedInt(buffer.getShort());
        if (version != VERSION) {
            throw new ProtocolException("unsupported protocol version " + version
                    + " (this side speaks " + VERSION + ")");
        }
        String text = new String(payload, FIXED_LENGTH, payload.length - FIXED_LENGTH,
                StandardCharsets.UTF_8);
        return new Hello(version, parseLines(text));
    }

    private static Map<String, String> parseLines(String text) throws ProtocolException {
        Map<String, String> properties = new LinkedHashMap<>();
        int lineNumber = 0;
        for (String line : text.split("\n")) {
            lineNumber++;
            if (line.isEmpty()) {
                continue;
            }
            int equals = line.indexOf('=');
            if (equals <= 0) {
                throw new ProtocolException("hello line " + lineNumber + " is not key=value: '"
                        + line + "'");
            }
            String key = line.substring(0, equals);
            if (properties.put(key, line.substring(equals + 1)) != null) {
                throw new ProtocolException("hello key '" + key + "' appears twice");
            }
        }
        return properties;
    }
}
