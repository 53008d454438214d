package supervisor.units;

import java.util.Locale;
import supervisor.log.Printable;

/**
 * Durations as people type them, one grammar for options, SUPERVISOR_* variables and config
 * files: ASCII digits with an optional fraction, then a unit of ms, s, m, h or d ({@code 500ms},
 * {@code 1.5s}, {@code 2m}, {@code 7d}); a bare number means seconds, as in timeout(1). Nothing
 * else: no sign, no exponent, no white space, no digit of another script (Character.isDigit
 * would take an Arabic-Indic one, then read it as a wrong number), at most {@link #MAX_TEXT}.
 */
public final class Durations {
    /** The longest duration: far beyond any timeout, and a deadline of nanoTime() plus it cannot overflow. */
    public static final long MAX_NANOS = 1000L * 86_400_000_000_000L;
    /** {@link #MAX_NANOS} as the user writes it. */
    public static final String MAX_TEXT = "1000d";
    public static final String EXPECTED = "expected ASCII digits with an optional fraction and a unit of ms, s, m, h or d,"
            + " e.g. 500ms, 1.5s, 2m; a bare number means seconds";

    private Durations() {
    }

    /**
     * @return nanoseconds, from 0 to {@link #MAX_NANOS}
     * @throws IllegalArgumentException with a message naming the value and the accepted forms
     */
    public static long parseNanos(String text) {
        // By hand, not with a regex and BigDecimal: this runs on every start, before the task's.
        int i = 0;
        long whole = 0;
        int digits = 0;
        boolean nonZero = false; // "0.0000000001s" is not zero, though below what is counted
        while (i < text.length() && isAsciiDigit(text.charAt(i))) {
            nonZero |= text.charAt(i) != '0';
            // Saturate instead of overflowing: anything this large is refused as too long below.
            whole = Math.min(whole * 10 + (text.charAt(i++) - '0'), MAX_NANOS + 1);
            digits++;
        }
        boolean ok = digits > 0;
        long fraction = 0;
        long scale = 1;
        if (ok && i < text.length() && text.charAt(i) == '.') {
            i++;
            int fractionDigits = 0;
            while (i < text.length() && isAsciiDigit(text.charAt(i))) {
                nonZero |= text.charAt(i) != '0';
                if (fractionDigits < 9) { // further digits are below a nanosecond for every unit but d
                    fraction = fraction * 10 + (text.charAt(i) - '0');
                    scale *= 10;
                }
                fractionDigits++;
                i++;
            }
            ok = fractionDigits > 0;
        }
        long perUnit = ok ? unitNanos(text.substring(i)) : 0;
        if (perUnit == 0) {
            throw new IllegalArgumentException("invalid duration " + Printable.quote(text) + " (" + EXPECTED + ")");
        }
        if (whole > MAX_NANOS / perUnit) {
            throw tooLong(text);
        }
        long nanos = whole * perUnit + Math.round((double) fraction / scale * perUnit);
        if (nanos > MAX_NANOS) {
            throw tooLong(text);
        }
        if (nanos == 0 && nonZero) {
            throw new IllegalArgumentException("duration " + Printable.quote(text) + " is shorter than a nanosecond");
        }
        return nanos;
    }

    private static IllegalArgumentException tooLong(String text) {
        return new IllegalArgumentException("duration " + Printable.quote(text) + " is too long (at most " + MAX_TEXT + ")");
    }

    /** Nanoseconds in one unit, or 0 for what is not a unit. Lower case only, as in timeout(1). */
    private static long unitNanos(String unit) {
        return switch (unit) {
            case "ms" -> 1_000_000L;
            case "", "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            case "d" -> 86_400_000_000_000L;
            default -> 0;
        };
    }

    /** '0' to '9' only: {@link Character#isDigit} also takes the digits of other scripts. */
    public static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
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
