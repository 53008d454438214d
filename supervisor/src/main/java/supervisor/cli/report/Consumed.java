package supervisor.cli.report;

import java.util.Locale;
import supervisor.limits.Usage;

/**
 * The closing line of a verbose run, in systemd's manner ("Consumed 1.234s CPU time, 48.2M memory
 * peak."): {@code consumed 1.23 s CPU time, 48.2M memory peak}.
 */
public final class Consumed {
    private static final String[] UNITS = {"K", "M", "G", "T", "P", "E"};

    private Consumed() {
    }

    /** The line without its "supervisor: " prefix; null when neither number is known. */
    public static String line(Usage usage) {
        String cpu = usage.cpuNanos() < 0 ? null : seconds(usage.cpuNanos()) + " CPU time";
        String memory = usage.memoryPeakBytes() < 0 ? null : bytes(usage.memoryPeakBytes()) + " memory peak";
        if (cpu == null && memory == null) {
            return null;
        }
        return "consumed " + (cpu == null ? memory : memory == null ? cpu : cpu + ", " + memory);
    }

    /** "1.23 s". */
    public static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    /**
     * As systemd's format_bytes: powers of 1024 with one decimal, cut rather than rounded
     * ("48.2M"), and bytes below 1024 as such ("512B").
     */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + "B";
        }
        int unit = 0;
        long factor = 1024;
        while (unit < UNITS.length - 1 && n / factor >= 1024) {
            factor *= 1024;
            unit++;
        }
        long rest = n % factor;
        // rest * 10 would overflow only for E (factor 2^60): there, tenths of the unit instead.
        long tenths = factor <= Long.MAX_VALUE / 10 ? rest * 10 / factor : Math.min(9, rest / (factor / 10));
        return (n / factor) + "." + tenths + UNITS[unit];
    }
}
