package supervisor.cli;

import java.util.Arrays;
import java.util.List;
import supervisor.config.ConfigException;
import supervisor.log.Log;
import supervisor.run.Adoption;
import supervisor.run.SignalEvents;

/**
 * The command line. Exit statuses are documented in the help of each command and in the README.
 */
public final class Main {
    static final int USAGE = 2;

    static final String HELP = """
            Usage: supervisor COMMAND [OPTIONS]

            Runs JVM tasks that might hang, crash or refuse to die, in processes of their own,
            and stops them completely: nothing they started is left running.

            Commands:
              run      run one task jar with a timeout (supervisor run --help)
              pool     run one call per input line through a pool of worker JVMs
                       (supervisor pool --help)
              config   show the effective settings and where each came from

            Options:
              -h, --help      show this help
              -V, --version   show the version
            """;

    private Main() {
    }

    public static void main(String[] argv) {
        Log.trace("main");
        if (argv.length > 0 && argv[0].startsWith("--adopt=")) {
            // The task runs already: from here on INT, TERM and HUP must stop it gracefully
            // rather than end this JVM with the defaults.
            SignalEvents.install();
        }
        System.exit(run(Arrays.asList(argv)));
    }

    static int run(List<String> args) {
        Adoption adoption = null;
        if (!args.isEmpty() && args.get(0).startsWith("--adopt=")) {
            // Internal: the launcher started the task already (see scripts/supervisor).
            adoption = Adoption.parse(args.get(0).substring("--adopt=".length()));
            args = args.subList(1, args.size());
        }
        try {
            if (args.isEmpty()) {
                throw new UsageException("missing command (see supervisor --help)");
            }
            String command = args.get(0);
            List<String> rest = args.subList(1, args.size());
            switch (command) {
                case "-h", "--help", "help" -> throw new HelpRequested(HELP);
                case "-V", "--version" -> {
                    System.out.println("supervisor " + version());
                    return 0;
                }
                case "run" -> {
                    return RunCommand.run(rest, adoption);
                }
                case "pool" -> {
                    return PoolCommand.run(rest);
                }
                case "config" -> {
                    return ConfigCommand.run(rest);
                }
                default -> throw new UsageException("unknown command '" + command + "' (see supervisor --help)");
            }
        } catch (UsageException | ConfigException e) {
            Log.error(e.getMessage());
            if (adoption != null) {
                adoption.abandon(); // the launcher started the task before we could refuse it
            }
            return USAGE;
        } catch (HelpRequested e) {
            if (adoption != null) {
                adoption.abandon();
            }
            System.out.print(e.getMessage());
            System.out.flush();
            return 0;
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }
}
