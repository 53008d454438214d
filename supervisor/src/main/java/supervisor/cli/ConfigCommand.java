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

            Settings:
            """;

    private ConfigCommand() {
    }

    static int run(List<String> args) throws UsageException, HelpRequested, ConfigException {
        List<String> options = new ArrayList<>();
        for (Setting s : Setting.values()) {
            options.add("--" + s.key);
        }
        StringBuilder help = new StringBuilder(HELP);
        for (Setting s : Setting.values()) {
            help.append(String.format("  %-16s %-10s %s%n", s.key, s.defaultValue.isEmpty() ? "\"\"" : s.defaultValue,
                    s.description));
        }
        Args a = new Args(args, Configured.common(options.toArray(String[]::new)), help.toString(), "supervisor config");
        if (a.jar != null) {
            throw new UsageException("unexpected argument '" + a.jar + "' (see supervisor config --help)");
        }
        Configured c = new Configured(a);
        System.out.print(c.settings.describe());
        System.out.flush();
        return 0;
    }
}
