package supervisor.cli;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import supervisor.cli.config.Setting;

/**
 * The commands, in the order {@code supervisor --help}, the man page and the shell completion list
 * them. Each one's help text is all of its documentation: the man page and the bash completion are
 * made from these at build time ({@link Manual}), so they cannot say something else. A new command
 * is one line here (and its case in {@link Main#run}; {@code ManualTest} checks that the two
 * agree).
 *
 * <p>Only {@code --help} and the build load this class: a command's run never does.
 */
enum Command {
    RUN("run", "run one task, a jar or any program, with a timeout; stop its whole tree", RunCommand.HELP),
    POOL("pool", "run one call per input line through a pool of worker JVMs", PoolCommand.HELP),
    CONFIG("config", "show the effective settings and where each came from", ConfigCommand.help()) {
        /** Every setting is an option of {@code config} (--timeout 5s), named in its help by its key. */
        @Override
        List<String> options() {
            Set<String> all = new LinkedHashSet<>(super.options());
            for (Setting s : Setting.values()) {
                all.add("--" + s.key);
            }
            return List.copyOf(all);
        }
    },
    PROBE("probe", "say whether a task run with --health-file is ready, or alive (exec probes)",
            ProbeCommand.HELP),
    TIMEOUT("timeout", "GNU timeout's command line; stops the whole tree (also as timeout)",
            TimeoutCommand.HELP);

    /**
     * An option as a help text names it: a long one anywhere (--ready-timeout, --private-tmp=no;
     * not "--", nor --SETTING), a short one where an option line begins ("  -v, --verbose"): in
     * the text, "-jar" and "-cp" are java's.
     */
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])--[a-z][a-z0-9-]*|(?m)^  -[a-zA-Z](?=[ ,])");

    final String name;
    /** One line, for {@code supervisor --help} and the man page's list. */
    final String summary;
    /** What {@code supervisor NAME --help} prints: "Usage: ..." lines, then the rest. */
    final String help;

    Command(String name, String summary, String help) {
        this.name = name;
        this.summary = summary;
        this.help = help;
    }

    /** Every option the help names, in order of first mention (the shell completion offers these). */
    List<String> options() {
        return optionsIn(help);
    }

    static List<String> optionsIn(String text) {
        Set<String> found = new LinkedHashSet<>();
        Matcher m = OPTION.matcher(text);
        while (m.find()) {
            found.add(m.group().strip());
        }
        return new ArrayList<>(found);
    }

    /** The "Usage:" lines of the help, without "Usage: " and the indentation of those after it. */
    List<String> usage() {
        List<String> lines = new ArrayList<>();
        for (String line : help.split("\n")) {
            if (line.startsWith("Usage: ")) {
                lines.add(line.substring("Usage: ".length()).strip());
            } else if (!lines.isEmpty() && line.startsWith("       ") && !line.isBlank()) {
                lines.add(line.strip());
            } else if (!lines.isEmpty()) {
                break;
            }
        }
        return lines;
    }

    /** The help without its "Usage:" lines and the blank line after them. */
    String body() {
        String[] lines = help.split("\n", -1);
        int i = 0;
        while (i < lines.length && (lines[i].startsWith("Usage: ") || (i > 0 && lines[i].startsWith("       ")))) {
            i++;
        }
        while (i < lines.length && lines[i].isBlank()) {
            i++;
        }
        return String.join("\n", List.of(lines).subList(i, lines.length));
    }

    /** The top-level help: what the commands are, from this list. */
    static String mainHelp() {
        StringBuilder b = new StringBuilder("""
                Usage: supervisor COMMAND [OPTIONS]

                Runs tasks that might hang, crash or refuse to die (a jar in a JVM of its own, or
                any program) in processes of their own, and stops them completely: nothing they
                started is left running.

                Commands:
                """);
        for (Command c : values()) {
            b.append(String.format("  %-8s %s%n", c.name, c.summary));
        }
        b.append("""

                Options:
                  -h, --help      show this help (supervisor COMMAND --help: the command's own)
                  -V, --version   show the version and the commit it was built from
                """);
        return b.toString();
    }
}
