package supervisor.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people type them: a number and a unit of ms, s, m or h ({@code 500ms},
 * {@code 1.5s}, {@code 2m}); a bare number means seconds, as in timeout(1).
 */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");
    private static final long MAX_NANOS = Long.MAX_VALUE / 4;

    private Durations() {
    }

    /**
     * @return nanoseconds
     * @throws IllegalArgumentException with a message naming the value and the accepted forms
     */
    public static long parseNanos(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid duration '" + text
                    + "' (expected a number with a unit of ms, s, m or h, e.g. 500ms, 1.5s, 2m)");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long perUnit = switch (unit) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
        };
        BigDecimal nanos = number.multiply(BigDecimal.valueOf(perUnit));
        if (nanos.compareTo(BigDecimal.valueOf(MAX_NANOS)) > 0) {
            throw new IllegalArgumentException("duration '" + text + "' is too long");
        }
        return nanos.longValue();
    }

    /** "30s", "1.5s", "500ms", "2m" — the shortest exact form, for messages. */
    public static String format(long nanos) {
        if (nanos % 3_600_000_000_000L == 0 && nanos > 0) {
            return nanos / 3_600_000_000_000L + "h";
        }
        if (nanos % 60_000_000_000L == 0 && nanos > 0) {
            return nanos / 60_000_000_000L + "m";
        }
        if (nanos >= 1_000_000_000L) {
            return trim(String.format(Locale.ROOT, "%.3f", nanos / 1e9)) + "s";
        }
        return trim(String.format(Locale.ROOT, "%.3f", nanos / 1e6)) + "ms";
    }

    private static String trim(String s) {
        if (s.contains(".")) {
            s = s.replaceAll("0+$", "");
            s = s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
        }
        return s;
    }
}
