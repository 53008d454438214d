package supervisor.units;

import supervisor.log.Printable;

/**
 * Sizes as people type them, one grammar for options, SUPERVISOR_* variables and config files:
 * ASCII digits, then a unit of K, M, G or T, alone or followed by B or iB ({@code 512M},
 * {@code 512MB}, {@code 512MiB}), each a power of 1024 as in systemd; the unit letter may also be
 * lower case ({@code 512m}, {@code 2g}: the forms documented first, and those of java -Xmx). A
 * bare number, or one with B alone, counts bytes. No sign, no fraction, no white space, no digit
 * of another script, at most {@link #MAX_TEXT}.
 */
public final class Sizes {
    /** The largest size: far beyond any memory or output, and no sum of a few such overflows a long. */
    public static final long MAX_BYTES = 1L << 50;
    /** {@link #MAX_BYTES} as the user writes it. */
    public static final String MAX_TEXT = "1024T";
    /**
     * The smallest memory limit a JVM can start with. Measured on JDK 17 (x86-64) in a cgroup v1
     * with swap accounted: {@code java -XX:MaxRAM=N -jar hello.jar} is OOM-killed at 16M and
     * runs at 20M, where the cgroup's peak was 17M; a task needs more than hello. Below this a
     * limit is surely a mistake, most likely a unit left out ({@code --memory 512}).
     */
    public static final long MIN_MEMORY_BYTES = 32L << 20;
    static final String EXPECTED = "expected ASCII digits and a unit of K, M, G or T (powers of 1024),"
            + " alone or with B or iB, e.g. 512M, 2G, 64KiB; a bare number means bytes";

    private Sizes() {
    }

    /**
     * @return bytes, from 0 to {@link #MAX_BYTES}
     * @throws IllegalArgumentException naming the value and the accepted forms
     */
    public static long parse(String text) {
        int i = 0;
        long n = 0;
        while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
            // Saturate instead of overflowing: anything this large is refused as too large below.
            n = Math.min(n * 10 + (text.charAt(i++) - '0'), MAX_BYTES + 1);
        }
        int shift = i == 0 ? -1 : shift(text.substring(i));
        if (shift < 0) {
            throw new IllegalArgumentException("invalid size " + Printable.quote(text) + " (" + EXPECTED + ")");
        }
        if (n > MAX_BYTES >> shift) {
            throw new IllegalArgumentException("size " + Printable.quote(text) + " is too large (at most " + MAX_TEXT + ")");
        }
        return n << shift;
    }

    /**
     * A memory limit: a size of at least {@link #MIN_MEMORY_BYTES}, or 0 for none.
     *
     * @throws IllegalArgumentException naming the value, and what a JVM needs when it is too small
     */
    public static long parseMemory(String text) {
        long bytes = parse(text);
        if (bytes > 0 && bytes < MIN_MEMORY_BYTES) {
            boolean bare = text.chars().allMatch(c -> c >= '0' && c <= '9');
            throw new IllegalArgumentException("memory limit " + Printable.quote(text) + " is " + format(bytes)
                    + ", less than the " + format(MIN_MEMORY_BYTES) + " a JVM needs to start"
                    + (bare ? " (a bare number means bytes)" : ""));
        }
        return bytes;
    }

    /** log2 of the unit's bytes, or -1 for what is not a unit. */
    private static int shift(String unit) {
        if (unit.isEmpty() || unit.equals("B")) {
            return 0;
        }
        String suffix = unit.substring(1);
        if (!suffix.isEmpty() && !suffix.equals("B") && !suffix.equals("iB")) {
            return -1;
        }
        return switch (unit.charAt(0)) {
            case 'K', 'k' -> 10;
            case 'M', 'm' -> 20;
            case 'G', 'g' -> 30;
            case 'T', 't' -> 40;
            default -> -1;
        };
    }

    /** 512M, 2G, 1536K, 100 bytes: the shortest exact form, for messages. */
    public static String format(long bytes) {
        String[] units = {"", "K", "M", "G", "T"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v >= 1024 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return u == 0 ? v + " bytes" : v + units[u];
    }
}
