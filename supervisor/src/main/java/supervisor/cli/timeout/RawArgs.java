package supervisor.cli.timeout;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The arguments' bytes. A JVM decodes its arguments with the locale's character set, and in the C
 * locale (cron's, a service's) every byte beyond ASCII becomes '?': "timeout 5 grep é" would grep
 * for "??". So when an argument has such a byte the launcher says so ({@value #PROPERTY}), and the
 * bytes are read back from {@code /proc/self/cmdline}, whose last entries are this JVM's
 * arguments. Otherwise the arguments are ASCII, or this JVM was started without the launcher, and
 * the strings are taken as they are.
 */
final class RawArgs {
    /** Set by the launcher when an argument (or the program's name) holds a byte beyond ASCII. */
    static final String PROPERTY = "supervisor.args.raw";
    /** Set by the launcher to the program's name as invoked (argv[0]: "timeout", "./timeout"). */
    static final String PROGRAM_PROPERTY = "supervisor.program";

    private RawArgs() {
    }

    /** The bytes of {@code args}, and of the program's name last (empty when not given). */
    static List<byte[]> of(List<String> args) {
        List<byte[]> raw = null;
        if (Boolean.getBoolean(PROPERTY)) {
            raw = fromCmdline(args.size());
        }
        if (raw == null) {
            Charset jnu = jnu();
            raw = new ArrayList<>();
            for (String a : args) {
                raw.add(a.getBytes(jnu));
            }
            String program = System.getProperty(PROGRAM_PROPERTY, "");
            raw.add(program.getBytes(jnu));
        }
        return raw;
    }

    /** The last {@code n} entries of /proc/self/cmdline, and the program property's value; null if unreadable. */
    private static List<byte[]> fromCmdline(int n) {
        byte[] all;
        try (FileInputStream in = new FileInputStream("/proc/self/cmdline")) {
            all = in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
        List<byte[]> entries = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == 0) {
                entries.add(Arrays.copyOfRange(all, start, i));
                start = i + 1;
            }
        }
        if (entries.size() < n) {
            return null;
        }
        byte[] prefix = ("-D" + PROGRAM_PROPERTY + "=").getBytes(StandardCharsets.US_ASCII);
        byte[] program = new byte[0];
        for (byte[] e : entries.subList(0, entries.size() - n)) {
            if (e.length >= prefix.length && Arrays.equals(e, 0, prefix.length, prefix, 0, prefix.length)) {
                program = Arrays.copyOfRange(e, prefix.length, e.length);
            }
        }
        List<byte[]> raw = new ArrayList<>(entries.subList(entries.size() - n, entries.size()));
        raw.add(program);
        return raw;
    }

    /** The character set this JVM decodes its arguments and encodes a child's with. */
    static Charset jnu() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }
}
