package supervisor.limits;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as people type them: 512m, 2g, 64k, 1048576 (bytes); binary units (1k = 1024). */
public final class Sizes {
    private static final Pattern FORM = Pattern.compile("(\\d+)([kKmMgGtT]?)[bB]?");

    private Sizes() {
    }

    /** @throws IllegalArgumentException naming the value and the accepted forms */
    public static long parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size '" + text + "' (expected a number with k, m, g or t,"
                    + " e.g. 512m, 2g)");
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> (shift + 1))) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        return n << shift;
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
