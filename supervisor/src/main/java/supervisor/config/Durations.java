package supervisor.config;

import java.util.Locale;

/**
 * Durations as people type them: a number and a unit of ms, s, m or h ({@code 500ms},
 * {@code 1.5s}, {@code 2m}); a bare number means seconds, as in timeout(1).
 */
public final class Durations {
    private static final long MAX_NANOS = Long.MAX_VALUE / 4;

    private Durations() {
    }

    /**
     * @return nanoseconds
     * @throws IllegalArgumentException with a message naming the value and the accepted forms
     */
    public static long parseNanos(String text) {
        // By hand, not with a regex and BigDecimal: this runs on every start, before the task's.
        String t = text.trim();
        int i = 0;
        long whole = 0;
        long fraction = 0;
        long scale = 1;
        int digits = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i)) && digits < 15) {
            whole = whole * 10 + (t.charAt(i++) - '0');
            digits++;
        }
        boolean ok = digits > 0;
        if (ok && i < t.length() && t.charAt(i) == '.') {
            i++;
            int fractionDigits = 0;
            while (i < t.length() && Character.isDigit(t.charAt(i))) {
                if (fractionDigits < 9) {
                    fraction = fraction * 10 + (t.charAt(i) - '0');
                    scale *= 10;
                }
                fractionDigits++;
                i++;
            }
            ok = fractionDigits > 0;
        }
        String unit = t.substring(Math.min(i, t.length()));
        long perUnit = switch (unit) {
            case "ms" -> 1_000_000L;
            case "", "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 0;
        };
        if (!ok || perUnit == 0) {
            throw new IllegalArgumentException("invalid duration '" + text
                    + "' (expected a number with a unit of ms, s, m or h, e.g. 500ms, 1.5s, 2m)");
        }
        if (whole > MAX_NANOS / perUnit) {
            throw new IllegalArgumentException("duration '" + text + "' is too long");
        }
        long nanos = whole * perUnit + Math.round((double) fraction * perUnit / scale);
        if (nanos == 0 && (whole != 0 || fraction != 0)) {
            throw new IllegalArgumentException("duration '" + text + "' is shorter than a nanosecond");
        }
        return nanos;
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
