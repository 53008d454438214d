package supervisor.cli;

import java.util.ArrayList;
import java.util.List;
import supervisor.cli.config.ConfigException;
import supervisor.cli.config.Setting;

/** {@code supervisor config [--config FILE] [OPTIONS]}: the effective settings and their sources. */
final class ConfigCommand {
    static final String HELP = """
            Usage: supervisor config [--config FILE] [--SETTING VALUE ...]

            Prints every setting's effective value and where it came from. Precedence: the command
            line, then the environment (SUPERVISOR_<SETTING>, e.g. SUPERVISOR_TIMEOUT), then the
            config file (--config FILE, or SUPERVISOR_CONFIG), then the built-in defaults.
            A bad file (unreadable, unknown key, bad value) is exit status 2 with FILE:LINE: why.

            Settings (KEY = DEFAULT, then what it sets; each is also an option, --KEY VALUE):
            """;
    /** Where a setting's description starts, as in the other commands' option lists. */
    private static final int COLUMN = 25;
    private static final int WIDTH = 80;

    private ConfigCommand() {
    }

    /** The help: {@link #HELP}, then every setting with its default, wrapped as the other helps are. */
    static String help() {
        StringBuilder help = new StringBuilder(HELP);
        for (Setting s : Setting.values()) {
            String term = "  " + s.key + " = " + (s.defaultValue.isEmpty() ? "\"\"" : s.defaultValue);
            StringBuilder line = new StringBuilder(term);
            if (term.length() >= COLUMN - 1) {
                help.append(line).append('\n');
                line.setLength(0);
            }
            for (String word : s.description.split(" ")) {
                boolean first = line.length() <= COLUMN;
                if (!first && line.length() + 1 + word.length() > WIDTH) {
                    help.append(line).append('\n');
                    line.setLength(0);
                    first = true;
                }
                if (first) {
                    line.append(" ".repeat(COLUMN - line.length()));
                } else {
                    line.append(' ');
                }
                line.append(word);
            }
            help.append(line).append('\n');
        }
        return help.toString();
    }

    static int run(List<String> args) throws UsageException, HelpRequested, ConfigException {
        List<String> options = new ArrayList<>();
        for (Setting s : Setting.values()) {
            options.add("--" + s.key);
        }
        Args a = new Args(args, Configured.common(options.toArray(String[]::new)), help(), "supervisor config");
        if (a.jar != null) {
            throw new UsageException("unexpected argument '" + a.jar + "' (see supervisor config --help)");
        }
        Configured c = new Configured(a);
        System.out.print(c.settings.describe());
        System.out.flush();
        return 0;
    }
}
