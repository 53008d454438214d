package supervisor.cli.timeout;

import java.text.DecimalFormatSymbols;
import java.util.Locale;

/**
 * A DURATION as GNU timeout reads it ({@code parse_duration}): a floating-point number as
 * {@code strtod} reads it (leading white space, a sign, decimal or hexadecimal digits with a
 * fraction and an exponent, {@code inf}, {@code infinity}; too large is the largest, too small is
 * zero), then at most one character: {@code s}, {@code m}, {@code h}, {@code d} or none.
 * Negative values and NaN are refused; 0 means no timeout.
 */
final class GnuDuration {
    /**
     * Longer than anyone waits (about 146 years): a duration this long or longer never expires,
     * and deadlines on {@link System#nanoTime()} stay clear of overflow.
     */
    static final long FOREVER = 1L << 62;

    private GnuDuration() {
    }

    /**
     * In nanoseconds, rounded up to the next one as GNU rounds to the timer's resolution
     * ({@code dtotimespec}); 0 for none, {@link #FOREVER} for anything at least as long.
     *
     * @return -1 when {@code text} is not a duration
     */
    static long nanos(String text) {
        int[] end = new int[1];
        double value = strtod(text, end);
        if (end[0] == 0 || !(value >= 0)) { // no number, negative, or NaN
            return -1;
        }
        int rest = text.length() - end[0];
        if (rest > 1) {
            return -1;
        }
        double multiplier = rest == 0 ? 1 : switch (text.charAt(end[0])) {
            case 's' -> 1;
            case 'm' -> 60;
            case 'h' -> 60 * 60;
            case 'd' -> 60 * 60 * 24;
            default -> -1;
        };
        if (multiplier < 0) {
            return -1;
        }
        double seconds = value * multiplier;
        if (seconds == 0) {
            return 0;
        }
        if (seconds >= FOREVER / 1e9) {
            return FOREVER;
        }
        double ns = seconds * 1e9;
        long whole = (long) ns;
        return whole < ns ? whole + 1 : whole; // 1e-320 s is 1 ns, not 0
    }

    /**
     * {@code strtod}: the value of the longest prefix of {@code s} that is a number;
     * {@code end[0]} is where it stops (0 when there is none). The C locale's syntax, plus the
     * locale's decimal separator where it is a comma (coreutils' {@code cl_strtod} tries both).
     */
    static double strtod(String s, int[] end) {
        int i = 0;
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int signEnd = i;
        // inf, infinity, nan, nan(chars): case does not matter
        String word = s.substring(i).toLowerCase(Locale.ROOT);
        if (word.startsWith("inf")) {
            end[0] = i + (word.startsWith("infinity") ? 8 : 3);
            return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (word.startsWith("nan")) {
            int e = i + 3;
            if (e < s.length() && s.charAt(e) == '(') {
                int close = s.indexOf(')', e);
                if (close > 0 && s.substring(e + 1, close).chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128 || c == '_')) {
                    e = close + 1;
                }
            }
            end[0] = e;
            return Double.NaN;
        }
        if (i + 1 < s.length() && s.charAt(i) == '0' && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')) {
            int h = hexEnd(s, i + 2);
            if (h < 0) {
                end[0] = i + 1; // "0x" and no hexadecimal digit: the number is the 0
                return negative ? -0.0 : 0.0;
            }
            end[0] = h;
            String body = s.substring(i + 2, h);
            boolean exponent = body.indexOf('p') >= 0 || body.indexOf('P') >= 0;
            double v = parse("0x" + body + (exponent ? "" : "p0"));
            return negative ? -v : v;
        }
        int digits = 0;
        while (i < s.length() && isDigit(s.charAt(i))) {
            i++;
            digits++;
        }
        StringBuilder number = new StringBuilder(s.substring(signEnd, i));
        if (i < s.length() && (s.charAt(i) == '.' || s.charAt(i) == ',' && commaIsDecimalPoint())) {
            int j = i + 1;
            int fraction = 0;
            while (j < s.length() && isDigit(s.charAt(j))) {
                j++;
                fraction++;
            }
            if (digits + fraction > 0) {
                number.append('.').append(s, i + 1, j);
                digits += fraction;
                i = j;
            }
        }
        if (digits == 0) {
            end[0] = 0;
            return 0;
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            int j = i + 1;
            if (j < s.length() && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
                j++;
            }
            int k = j;
            while (k < s.length() && isDigit(s.charAt(k))) {
                k++;
            }
            if (k > j) {
                number.append('e').append(s, i + 1, k);
                i = k;
            }
        }
        end[0] = i;
        double v = parse(number.toString());
        return negative ? -v : v;
    }

    /** A number in Java's syntax; an exponent out of range gives infinity or 0, as strtod does. */
    private static double parse(String number) {
        return Double.parseDouble(number);
    }

    /** The end of hexadecimal digits with an optional fraction and p-exponent from {@code i}; -1 if no digit. */
    private static int hexEnd(String s, int i) {
        int digits = 0;
        while (i < s.length() && isHex(s.charAt(i))) {
            i++;
            digits++;
        }
        if (i < s.length() && s.charAt(i) == '.') {
            int j = i + 1;
            int fraction = 0;
            while (j < s.length() && isHex(s.charAt(j))) {
                j++;
                fraction++;
            }
            if (digits + fraction > 0) {
                digits += fraction;
                i = j;
            }
        }
        if (digits == 0) {
            return -1;
        }
        if (i < s.length() && (s.charAt(i) == 'p' || s.charAt(i) == 'P')) {
            int j = i + 1;
            if (j < s.length() && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
                j++;
            }
            int k = j;
            while (k < s.length() && isDigit(s.charAt(k))) {
                k++;
            }
            if (k > j) {
                i = k;
            }
        }
        return i;
    }

    /**
     * Whether the locale's decimal separator is a comma (de_DE, fr_FR), as the locale's strtod
     * would take "1,5". Looked up only when a number goes on with a comma: the lookup loads the
     * locale's data (tens of milliseconds), which "10" or "1.5" never needs.
     */
    private static boolean commaIsDecimalPoint() {
        return DecimalFormatSymbols.getInstance(Locale.getDefault(Locale.Category.FORMAT)).getDecimalSeparator() == ',';
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c >= '\t' && c <= '\r';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isHex(char c) {
        return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}
