package supervisor.cli.timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GNU timeout's command line, read as glibc's {@code getopt_long(argc, argv, "+k:s:v", ...)} reads
 * it: options stop at the first operand (DURATION) or after {@code --}; short options may be
 * grouped ({@code -vk1}) and take their argument attached or as the next word; long options may be
 * abbreviated to any unambiguous prefix and take {@code =VALUE} or the next word. Options act in
 * order, as GNU's do: {@code --help} prints the help even if a bad option follows it, and the first
 * error ends the parse. Errors are getopt's and timeout's own words.
 *
 * <p>Works on the arguments' bytes: every option, duration and signal name is ASCII, and an
 * operand quoted in a message is quoted byte for byte.
 */
final class GnuArgs {
    /** What the command line asks for. */
    sealed interface Parsed permits Run, Help, Version, Usage {
    }

    /** Run COMMAND as {@code options} say. */
    record Run(TimeoutOptions options) implements Parsed {
    }

    record Help() implements Parsed {
    }

    record Version() implements Parsed {
    }

    /**
     * A usage error (status 125): the message's parts for {@link Messages#say}, or null when GNU
     * says nothing but "Try ... --help" (missing operands).
     */
    record Usage(Object[] message) implements Parsed {
    }

    private enum Arg { NONE, REQUIRED }

    /** The long options, in glibc's table order (the order an ambiguity lists them in). */
    private static final String[] LONG = {"kill-after", "signal", "verbose", "foreground", "preserve-status", "help", "version"};
    private static final Arg[] LONG_ARG = {Arg.REQUIRED, Arg.REQUIRED, Arg.NONE, Arg.NONE, Arg.NONE, Arg.NONE, Arg.NONE};

    private final List<byte[]> args;
    private final Messages messages;
    private long killAfter;
    private int signal = 15;
    private boolean verbose;
    private boolean foreground;
    private boolean preserve;

    private GnuArgs(List<byte[]> args, Messages messages) {
        this.args = args;
        this.messages = messages;
    }

    /** @param args the arguments after the program name, as bytes */
    static Parsed parse(List<byte[]> args, Messages messages) {
        return new GnuArgs(args, messages).parse();
    }

    private Parsed parse() {
        int i = 0;
        while (i < args.size()) {
            byte[] a = args.get(i);
            if (a.length < 2 || a[0] != '-') {
                break; // an operand (DURATION), or "-" alone: options end ("+" in the option string)
            }
            if (a.length == 2 && a[1] == '-') {
                i++; // "--"
                break;
            }
            Parsed outcome;
            int[] next = {i + 1};
            if (a[1] == '-') {
                outcome = longOption(a, next);
            } else {
                outcome = shortOptions(a, next);
            }
            if (outcome != null) {
                return outcome;
            }
            i = next[0];
        }
        if (args.size() - i < 2) {
            return new Usage(null);
        }
        long timeout = GnuDuration.nanos(ascii(args.get(i)));
        if (timeout < 0) {
            return invalidInterval(args.get(i));
        }
        List<String> command = new ArrayList<>();
        for (int k = i + 1; k < args.size(); k++) {
            command.add(new String(args.get(k), RawArgs.jnu()));
        }
        return new Run(new TimeoutOptions(timeout, killAfter, signal, preserve, foreground, verbose, i + 1, command,
                args.get(i + 1)));
    }

    /** One word of short options; null to go on, else the outcome. */
    private Parsed shortOptions(byte[] a, int[] next) {
        for (int j = 1; j < a.length; j++) {
            byte c = a[j];
            switch (c) {
                case 'v' -> verbose = true;
                case 'k', 's' -> {
                    byte[] value;
                    if (j + 1 < a.length) {
                        value = Arrays.copyOfRange(a, j + 1, a.length);
                    } else if (next[0] < args.size()) {
                        value = args.get(next[0]++);
                    } else {
                        return new Usage(new Object[] {"option requires an argument -- '", new byte[] {c}, "'"});
                    }
                    return apply(c == 'k' ? 0 : 1, value);
                }
                default -> {
                    return new Usage(new Object[] {"invalid option -- '", new byte[] {c}, "'"});
                }
            }
        }
        return null;
    }

    /** "--name", "--name=value" or "--name value", the name perhaps abbreviated. */
    private Parsed longOption(byte[] a, int[] next) {
        byte[] text = Arrays.copyOfRange(a, 2, a.length);
        int eq = indexOf(text, (byte) '=');
        String name = ascii(eq < 0 ? text : Arrays.copyOf(text, eq));
        int found = -1;
        List<Integer> matches = new ArrayList<>();
        for (int k = 0; k < LONG.length; k++) {
            if (LONG[k].equals(name)) {
                found = k;
                matches.clear();
                break;
            }
            if (LONG[k].startsWith(name)) {
                matches.add(k);
            }
        }
        if (found < 0 && matches.size() == 1) {
            found = matches.get(0);
        } else if (found < 0 && matches.size() > 1) {
            List<Object> message = new ArrayList<>(List.of("option '--", text, "' is ambiguous; possibilities:"));
            for (int k : matches) {
                message.add(" '--" + LONG[k] + "'");
            }
            return new Usage(message.toArray());
        }
        if (found < 0) {
            return new Usage(new Object[] {"unrecognized option '--", text, "'"});
        }
        byte[] value = null;
        if (LONG_ARG[found] == Arg.NONE && eq >= 0) {
            return new Usage(new Object[] {"option '--" + LONG[found] + "' doesn't allow an argument"});
        }
        if (LONG_ARG[found] == Arg.REQUIRED) {
            if (eq >= 0) {
                value = Arrays.copyOfRange(text, eq + 1, text.length);
            } else if (next[0] < args.size()) {
                value = args.get(next[0]++);
            } else {
                return new Usage(new Object[] {"option '--" + LONG[found] + "' requires an argument"});
            }
        }
        return switch (found) {
            case 0, 1 -> apply(found, value);
            case 2 -> {
                verbose = true;
                yield null;
            }
            case 3 -> {
                foreground = true;
                yield null;
            }
            case 4 -> {
                preserve = true;
                yield null;
            }
            case 5 -> new Help();
            default -> new Version();
        };
    }

    /** -k (0) or -s (1) with its value; null to go on, else the error. */
    private Parsed apply(int option, byte[] value) {
        if (option == 0) {
            killAfter = GnuDuration.nanos(ascii(value));
            return killAfter < 0 ? invalidInterval(value) : null;
        }
        signal = GnuSignals.parse(ascii(value));
        return signal < 0 ? new Usage(new Object[] {messages.quote(value), ": invalid signal"}) : null;
    }

    private Usage invalidInterval(byte[] text) {
        return new Usage(new Object[] {"invalid time interval ", messages.quote(text)});
    }

    /** The bytes as chars 0-255: every byte beyond ASCII stays one char that no ASCII grammar takes. */
    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static int indexOf(byte[] b, byte x) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
