package supervisor.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import supervisor.log.Log;

/**
 * The shape every command line shares: options (as {@code --name value} or {@code --name=value})
 * before or after one positional jar, then, after {@code --}, words that are passed on as they are.
 */
final class Args {
    final List<String[]> options = new ArrayList<>();
    final List<String> rest = new ArrayList<>();
    final List<String> afterDashes = new ArrayList<>();
    String jar;
    boolean verbose;
    final Set<String> flags = new HashSet<>();

    Args(List<String> args, List<String> valued, String help, String command)
            throws UsageException, HelpRequested {
        this(args, valued, List.of(), help, command);
    }

    /** @param flagNames options that take no value (--clear-env) */
    Args(List<String> args, List<String> valued, List<String> flagNames, String help, String command)
            throws UsageException, HelpRequested {
        this(args, valued, flagNames, help, command, o -> { });
    }

    /**
     * @param seen told each option as soon as it is parsed, before a later one may be refused: a
     *     usage error still has the report path that came before it
     */
    Args(List<String> args, List<String> valued, List<String> flagNames, String help, String command,
         Consumer<String[]> seen) throws UsageException, HelpRequested {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                afterDashes.addAll(args.subList(i + 1, args.size()));
                return;
            }
            if (arg.equals("-h") || arg.equals("--help")) {
                throw new HelpRequested(help);
            }
            if (arg.equals("-v") || arg.equals("--verbose")) {
                verbose = true;
                Log.setDebug(true);
                continue;
            }
            if (flagNames.contains(arg)) {
                flags.add(arg);
                continue;
            }
            if (arg.startsWith("-") && !arg.equals("-")) {
                String name = arg;
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    name = arg.substring(0, eq);
                    value = arg.substring(eq + 1);
                }
                if (!valued.contains(name)) {
                    throw new UsageException("unknown option " + name + " (see " + command + " --help)");
                }
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException(name + " needs a value (see " + command + " --help)");
                    }
                    value = args.get(++i);
                }
                options.add(new String[] {name, value});
                seen.accept(new String[] {name, value});
            } else if (jar == null) {
                jar = arg;
            } else {
                rest.add(arg);
            }
        }
    }
}
