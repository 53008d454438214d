package supervisor.cli.timeout;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * gnulib's {@code quote()} (locale quoting style), which GNU timeout's messages put around a
 * command or an operand: in a UTF-8 locale ‘x’, with printable characters as they are; in any
 * other (C, POSIX) 'x', with bytes beyond ASCII written as octal escapes. Either way a backslash is
 * doubled, the closing quote is escaped, and control characters are written as {@code \n},
 * {@code \t} or {@code \ooo}.
 */
final class GnuQuote {
    private static final byte[] LEFT_UTF8 = {(byte) 0xE2, (byte) 0x80, (byte) 0x98};
    private static final byte[] RIGHT_UTF8 = {(byte) 0xE2, (byte) 0x80, (byte) 0x99};

    private GnuQuote() {
    }

    static byte[] quote(byte[] arg, boolean utf8) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(arg.length + 8);
        byte[] right = utf8 ? RIGHT_UTF8 : new byte[] {'\''};
        out.writeBytes(utf8 ? LEFT_UTF8 : right);
        int i = 0;
        while (i < arg.length) {
            int b = arg[i] & 0xFF;
            if (startsWith(arg, i, right)) {
                out.write('\\');
                out.writeBytes(right);
                i += right.length;
            } else if (b == '\\') {
                out.writeBytes(new byte[] {'\\', '\\'});
                i++;
            } else if (b >= 0x20 && b < 0x7F) {
                out.write(b);
                i++;
            } else if (b < 0x80) {
                escape(out, b);
                i++;
            } else {
                int n = utf8 ? printableUtf8(arg, i) : 0;
                if (n > 0) {
                    out.write(arg, i, n);
                    i += n;
                } else {
                    escape(out, b);
                    i++;
                }
            }
        }
        out.writeBytes(right);
        return out.toByteArray();
    }

    private static void escape(ByteArrayOutputStream out, int b) {
        char letter = switch (b) {
            case 0x07 -> 'a';
            case '\b' -> 'b';
            case '\f' -> 'f';
            case '\n' -> 'n';
            case '\r' -> 'r';
            case '\t' -> 't';
            case 0x0B -> 'v';
            default -> 0;
        };
        out.write('\\');
        if (letter != 0) {
            out.write(letter);
        } else {
            out.write('0' + (b >> 6));
            out.write('0' + (b >> 3 & 7));
            out.write('0' + (b & 7));
        }
    }

    /** The length of the printable UTF-8 character at {@code i}, or 0 (invalid, or not printable). */
    private static int printableUtf8(byte[] s, int i) {
        int b = s[i] & 0xFF;
        int n = b >= 0xF0 && b < 0xF5 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
        if (n == 0 || i + n > s.length) {
            return 0;
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        String c;
        try {
            c = decoder.decode(ByteBuffer.wrap(s, i, n)).toString();
        } catch (CharacterCodingException e) {
            return 0;
        }
        int cp = c.codePointAt(0);
        int type = Character.getType(cp);
        boolean printable = !Character.isISOControl(cp) && type != Character.UNASSIGNED && type != Character.SURROGATE
                && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR;
        return printable ? n : 0;
    }

    private static boolean startsWith(byte[] s, int i, byte[] prefix) {
        if (i + prefix.length > s.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (s[i + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }
}
