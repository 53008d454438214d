package supervisor.log;

/**
 * A value the user typed, quoted for a one-line message. Every message is one line (see
 * {@link Log}), so a newline in a value must not end it, and a terminal escape or an
 * Arabic-Indic digit that looks like an ASCII one must be seen for what it is: whatever is not
 * printable ASCII is written as {@code \}{@code uXXXX}, and a backslash as two.
 */
public final class Printable {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Printable() {
    }

    /** {@code 'value'}, escaped: {@code '1\n2'} for a value with a newline inside. */
    public static String quote(String value) {
        return "'" + escape(value) + "'";
    }

    /** The value with control characters, non-ASCII characters and backslashes escaped. */
    public static String escape(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder b = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean plain = c >= 0x20 && c < 0x7f && c != '\\';
            if (plain && b == null) {
                continue;
            }
            if (b == null) {
                b = new StringBuilder(value.length() + 16).append(value, 0, i);
            }
            if (plain) {
                b.append(c);
            } else if (c == '\\') {
                b.append("\\\\");
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else if (c == '\r') {
                b.append("\\r");
            } else {
                b.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15])
                        .append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
            }
        }
        return b == null ? value : b.toString();
    }
}
