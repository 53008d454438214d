package supervisor.cli.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Just enough JSON for one output line: strings escaped per RFC 8259, so that no value (an input,
 * a result, an exception message) can end the string early, add a field or start a new line. A
 * library would cost more start-up than these lines are worth. The run and pool reports
 * ({@code supervisor.cli.report}) escape their strings here too.
 *
 * <p>Results are escaped straight from their bytes to the output stream, a few bytes at a time:
 * a result of a whole frame (64 MiB by default) must not be turned into a String of twice its
 * size, nor a StringBuilder, nor a byte[] copy, on a heap of 128 MiB.
 */
public final class Json {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Json() {
    }

    /** Appends {@code s} as a JSON string, quotes included. */
    public static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        // Control characters must be escaped; U+2028/9 too, for JavaScript readers.
                        unicodeEscape(out, c);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        out.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf])
                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
    }

    /**
     * Writes {@code utf8}, which must be valid UTF-8 (see {@link #isUtf8}), as a JSON string:
     * the same escapes as {@link #string}, produced from the bytes as they are, in constant space.
     */
    public static void utf8String(OutputStream out, byte[] utf8) throws IOException {
        out.write('"');
        int from = 0; // bytes before this one are written
        for (int i = 0; i < utf8.length; i++) {
            int b = utf8[i] & 0xff;
            String escape = null;
            if (b == '"') {
                escape = "\\\"";
            } else if (b == '\\') {
                escape = "\\\\";
            } else if (b < 0x20) {
                escape = switch (b) {
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> "\\u00" + HEX[b >> 4] + HEX[b & 0xf];
                };
            } else if (b == 0xe2 && i + 2 < utf8.length && utf8[i + 1] == (byte) 0x80
                    && (utf8[i + 2] == (byte) 0xa8 || utf8[i + 2] == (byte) 0xa9)) {
                // U+2028 and U+2029, which end a line for JavaScript readers.
                escape = utf8[i + 2] == (byte) 0xa8 ? "\\u2028" : "\\u2029";
                out.write(utf8, from, i - from);
                out.write(escape.getBytes(StandardCharsets.US_ASCII));
                i += 2;
                from = i + 1;
                continue;
            }
            if (escape != null) {
                out.write(utf8, from, i - from);
                out.write(escape.getBytes(StandardCharsets.US_ASCII));
                from = i + 1;
            }
        }
        out.write(utf8, from, utf8.length - from);
        out.write('"');
    }

    /** True if the bytes are valid UTF-8 (no overlong forms, no surrogates); constant space. */
    public static boolean isUtf8(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer scratch = CharBuffer.allocate(4096);
        while (true) {
            CoderResult r = decoder.decode(in, scratch, true);
            if (r.isError()) {
                return false;
            }
            scratch.clear();
            if (r.isUnderflow()) {
                break;
            }
        }
        while (true) {
            CoderResult r = decoder.flush(scratch);
            if (r.isError()) {
                return false;
            }
            scratch.clear();
            if (r.isUnderflow()) {
                return true;
            }
        }
    }

    /** The bytes as text if they are valid UTF-8, else null. */
    static String utf8OrNull(byte[] bytes) {
        return isUtf8(bytes) ? new String(bytes, StandardCharsets.UTF_8) : null;
    }
}
