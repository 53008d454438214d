package supervisor.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import supervisor.cli.config.Setting;
import supervisor.cli.config.Settings;

/**
 * Build time (supervisor/pom.xml, process-classes): the man page {@code supervisor(1)} and the bash
 * completion, both made from the commands' help texts ({@link Command}) and the settings
 * ({@link Setting}), so that neither can say something {@code --help} does not. The sections a
 * help has no place for (EXIT STATUS, ENVIRONMENT, FILES, SEE ALSO) are written here.
 *
 * <p>Usage: {@code java -cp CLASSES supervisor.cli.Manual OUTPUT_DIR} writes {@code supervisor.1},
 * {@code supervisor.1jvm.gz} (the same in section 1jvm, as the Debian package installs it) and
 * {@code supervisor.bash-completion}.
 */
public final class Manual {
    private Manual() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: Manual OUTPUT_DIR");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        writeIfChanged(dir.resolve("supervisor.1"), manPage("1").getBytes(StandardCharsets.UTF_8));
        // Debian's package "supervisor" (supervisord) has a supervisor.1.gz of its own: the Debian
        // package installs this one in section 1jvm, which `man supervisor` also finds.
        writeIfChanged(dir.resolve("supervisor.1jvm.gz"), gzip(manPage("1jvm").getBytes(StandardCharsets.UTF_8)));
        writeIfChanged(dir.resolve("supervisor.bash-completion"), completion().getBytes(StandardCharsets.UTF_8));
    }

    /** The man page, in roff (man(7) macros). */
    static String manPage() {
        return manPage("1");
    }

    /** @param section "1", or "1jvm" where another package has a supervisor(1) */
    static String manPage(String section) {
        Roff r = new Roff();
        r.macro(".TH SUPERVISOR " + section + " \"\" \"supervisor " + BuildInfo.VERSION + "\" \"User Commands\"");
        // Options and values must not be hyphenated, and ragged right reads better with long names.
        r.macro(".nh");
        r.macro(".ad l");
        r.macro(".SH NAME");
        r.text("supervisor - run a task that might hang, crash or refuse to die, and stop its whole process tree");
        r.macro(".SH SYNOPSIS");
        r.macro(".nf");
        r.synopsis("supervisor COMMAND [OPTIONS]");
        for (Command c : Command.values()) {
            for (String u : c.usage()) {
                r.synopsis(u);
            }
        }
        r.synopsis("supervisor --help | --version");
        r.macro(".fi");
        r.macro(".SH DESCRIPTION");
        r.help(mainBody());
        r.macro(".SH COMMANDS");
        for (Command c : Command.values()) {
            r.macro(".SS \"supervisor " + c.name + "\"");
            r.macro(".nf");
            for (String u : c.usage()) {
                r.synopsis(u);
            }
            r.macro(".fi");
            r.macro(".PP");
            r.help(c.body());
        }
        r.macro(".SH \"EXIT STATUS\"");
        r.text("Each command lists its own statuses above. Common to all:"
                + " 2 for a usage error (a bad option, value, setting or config file), with one line on"
                + " stderr that names the problem, before anything starts; 125 when the supervisor itself"
                + " fails (java cannot be started, an internal error). The supervisor's own messages go to"
                + " stderr, each line starting with \"supervisor: \"; run never writes to stdout, which is"
                + " the task's.");
        r.macro(".SH ENVIRONMENT");
        r.item("SUPERVISOR_<SETTING>", "Each setting (supervisor config --help), for example SUPERVISOR_TIMEOUT=30s."
                + " The command line wins over these, and these over the config file. They are: "
                + String.join(", ", settingVariables()) + ".");
        r.item(Settings.CONFIG_VARIABLE, "The config file to read when --config names none.");
        r.item("JAVA_HOME, PATH", "The java that runs tasks and workers is JAVA_HOME's, else the first on PATH"
                + " (--java, the java setting, names another). A PROGRAM task is found on PATH.");
        r.item("SUPERVISOR_JVM", "The java the supervisor itself runs on: a path, or \"java\" for the tasks' one."
                + " By default the tasks' one, or the JDK 25 or later its AOT cache was made with (see FILES).");
        r.item("NOTIFY_SOCKET, WATCHDOG_USEC", "Set by systemd for a Type=notify service: the supervisor says"
                + " READY=1, STATUS=, STOPPING=1 and beats the watchdog while the task is healthy.");
        r.macro(".SH FILES");
        r.item("/etc/supervisor/NAME.conf", "With the Debian package: the settings of the service"
                + " supervisor@NAME.service, which runs supervisor run --config /etc/supervisor/NAME.conf; the"
                + " file names its task with jar = PATH or program = PROGRAM ARGS (and task-args = ARGS)."
                + " The format is the one of config/supervisor.properties: KEY = VALUE lines, # comments.");
        r.item("supervisor@.service", "The systemd template unit (Type=notify, Delegate=yes, a watchdog);"
                + " /lib/systemd/system with the package, conf/systemd in the archive.");
        r.item("lib/jvm.args", "Beside supervisor.jar: the supervisor JVM's own fixed flags (never the task's).");
        r.item("lib/supervisor.jsa, lib/supervisor.aot, lib/supervisor.jvm", "Start-up caches for the java the"
                + " supervisor runs on: an AppCDS archive, and where a JDK 25 or later is installed an AOT cache"
                + " and the java it belongs to. A cache made for another JDK is ignored. lib/make-caches makes"
                + " them again (the Debian package does so when it is installed and whenever a JDK under"
                + " /usr/lib/jvm changes, in /var/cache/jvm-supervisor).");
        r.macro(".SH \"SEE ALSO\"");
        r.text("timeout(1), setsid(1), setpriv(1), java(1), systemd.service(5), systemd.kill(5),"
                + " systemd.resource-control(5). The documents in docs/ of the archive, or"
                + " /usr/share/doc/jvm-supervisor with the package: termination, systemd, security, diagnostics,"
                + " the report and the worker protocol.");
        return r.toString();
    }

    /** The top-level help without its usage line: the description and the list of commands. */
    private static String mainBody() {
        String help = Command.mainHelp();
        return help.substring(help.indexOf("\n\n") + 2);
    }

    private static List<String> settingVariables() {
        List<String> vars = new ArrayList<>();
        for (Setting s : Setting.values()) {
            vars.add(s.environmentVariable());
        }
        return vars;
    }

    /**
     * The bash completion: commands, then each command's options; after an option that takes a file
     * or a directory, those; after {@code run --}, a program; elsewhere files (jars first in mind,
     * but any file: a jar need not end in .jar).
     */
    static String completion() {
        StringBuilder cases = new StringBuilder();
        StringBuilder names = new StringBuilder();
        for (Command c : Command.values()) {
            names.append(names.length() == 0 ? "" : " ").append(c.name);
            cases.append("        ").append(c.name).append(")\n            opts='").append(String.join(" ", c.options()))
                    .append("'\n            valued='").append(String.join(" ", valued(c))).append("' ;;\n");
        }
        String top = String.join(" ", Command.optionsIn(Command.mainHelp()));
        return """
                # bash completion for supervisor(1). Made by the build from the commands' --help
                # (supervisor.cli.Manual): do not edit. Needs nothing from the bash-completion package.
                _supervisor() {
                    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts valued i
                    COMPREPLY=()
                    if ((COMP_CWORD == 1)); then
                        COMPREPLY=($(compgen -W '%s %s' -- "$cur"))
                        return
                    fi
                    for ((i = 2; i < COMP_CWORD; i++)); do
                        if [ "${COMP_WORDS[i]}" = -- ]; then
                            # run -- PROGRAM: a program first, then its own arguments (files).
                            if ((i == COMP_CWORD - 1)) && [ "${COMP_WORDS[1]}" = run ]; then
                                COMPREPLY=($(compgen -c -- "$cur"))
                            else
                                compopt -o filenames 2>/dev/null
                                COMPREPLY=($(compgen -f -- "$cur"))
                            fi
                            return
                        fi
                    done
                    case ${COMP_WORDS[1]} in
                %s        *) return ;;
                    esac
                    case $prev in
                        --config|--report|--input|--output|--java)
                            compopt -o filenames 2>/dev/null
                            COMPREPLY=($(compgen -f -- "$cur"))
                            return ;;
                        --dump-dir|--workdir)
                            compopt -o filenames 2>/dev/null
                            COMPREPLY=($(compgen -d -- "$cur"))
                            return ;;
                        --termination) COMPREPLY=($(compgen -W 'auto cgroup tree' -- "$cur")); return ;;
                        --kill-mode) COMPREPLY=($(compgen -W 'tree task' -- "$cur")); return ;;
                        --stop-signal) COMPREPLY=($(compgen -W 'TERM INT HUP USR1 ALRM' -- "$cur")); return ;;
                        --ready) COMPREPLY=($(compgen -W 'start notify tcp: file:' -- "$cur")); return ;;
                    esac
                    # Another option that takes a value: nothing to offer but what is typed.
                    case " $valued " in
                        *" $prev "*) return ;;
                    esac
                    if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
                    else
                        compopt -o filenames 2>/dev/null
                        COMPREPLY=($(compgen -f -- "$cur"))
                    fi
                }
                complete -F _supervisor supervisor
                """.formatted(names, top, cases);
    }

    /** An option followed by its placeholder, as helps write them: "--timeout DURATION", "[--config FILE]". */
    private static final Pattern VALUED = Pattern.compile("(?<![\\w-])(--[a-z][a-z0-9-]*) [A-Z][A-Z0-9_./:=-]*\\b");

    /** The options of a command that take a value: named with a placeholder in its help; for config, every setting. */
    static List<String> valued(Command c) {
        Set<String> valued = new LinkedHashSet<>();
        Matcher m = VALUED.matcher(c.help);
        while (m.find()) {
            valued.add(m.group(1));
        }
        if (c == Command.CONFIG) {
            for (Setting s : Setting.values()) {
                valued.add("--" + s.key);
            }
        }
        return new ArrayList<>(valued);
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // GZIPOutputStream writes no file name and a zero time stamp: the same bytes every build.
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes) {
            {
                def.setLevel(9);
            }
        }) {
            gz.write(data);
        }
        return bytes.toByteArray();
    }

    private static void writeIfChanged(Path file, byte[] content) throws IOException {
        if (!Files.exists(file) || !Arrays.equals(Files.readAllBytes(file), content)) {
            Files.write(file, content);
        }
    }

    /**
     * Roff for man(7), written line by line. A help text's layout maps onto it: a line at the left
     * margin ending in ':' is a heading, other such lines are running text, a blank line ends a
     * paragraph, and an indented line starts an item ("  --timeout DURATION   stop the task...":
     * the term, then after two spaces or more its description) which lines indented further
     * continue.
     */
    private static final class Roff {
        private final StringBuilder out = new StringBuilder();

        void macro(String line) {
            out.append(line).append('\n');
        }

        void text(String line) {
            out.append(escapeLine(line)).append('\n');
        }

        void synopsis(String usage) {
            // "supervisor run [OPTIONS] ...": the command in bold, the rest as it is.
            String[] words = usage.split(" ", 3);
            boolean sub = words.length > 1 && !words[1].startsWith("[") && !words[1].startsWith("-")
                    && !words[1].equals("COMMAND");
            String head = sub ? words[0] + " " + words[1] : words[0];
            String rest = usage.substring(head.length());
            out.append("\\fB").append(escape(head)).append("\\fR").append(escape(rest)).append('\n');
        }

        void item(String term, String description) {
            macro(".TP");
            out.append(formatTerm(term)).append('\n');
            text(description);
        }

        void help(String body) {
            String[] lines = body.split("\n");
            boolean inItem = false;
            String indent = "";
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                if (line.isBlank()) {
                    if (!out.toString().endsWith(".PP\n")) {
                        macro(".PP");
                    }
                    inItem = false;
                } else if (!line.startsWith(" ") && line.endsWith(":")) {
                    out.append("\\fB").append(escape(line)).append("\\fR\n");
                    macro(".br");
                } else if (!line.startsWith(" ")) {
                    if (inItem) {
                        macro(".PP");
                        inItem = false;
                    } else if (line.matches("[A-Z][a-z]+: .*") && !out.toString().endsWith(".PP\n")) {
                        macro(".br"); // "Input: ...", "Output: ...": a line of its own in the help too
                    }
                    text(line);
                } else if (line.startsWith("  ") && line.charAt(2) != ' ') {
                    if (!inItem) {
                        indent = indentFor(lines, i);
                    }
                    String t = line.substring(2);
                    int gap = t.indexOf("  ");
                    String term = gap < 0 ? t : t.substring(0, gap);
                    String description = gap < 0 ? "" : t.substring(gap).strip();
                    macro(".TP" + indent);
                    out.append(formatTerm(term)).append('\n');
                    if (!description.isEmpty()) {
                        text(description);
                    }
                    inItem = true;
                } else {
                    text(line.strip());
                }
            }
        }

        /**
         * The indent of a list of items that starts at line {@code from}: wide enough for its
         * longest term where all are short (run, pool, 125), so they stand beside their text;
         * else man's default, each term on a line of its own.
         */
        private static String indentFor(String[] lines, int from) {
            int longest = 0;
            for (int i = from; i < lines.length && !lines[i].isBlank(); i++) {
                String line = lines[i];
                if (line.startsWith("  ") && line.charAt(2) != ' ') {
                    String t = line.substring(2);
                    int gap = t.indexOf("  ");
                    longest = Math.max(longest, gap < 0 ? t.length() : gap);
                }
            }
            return longest > 0 && longest <= 10 ? " " + (longest + 2) + "n" : "";
        }

        /** Options in bold, placeholders (DURATION, FILE) in italics, the rest as it is. */
        private static String formatTerm(String term) {
            StringBuilder b = new StringBuilder();
            for (String word : term.split(" ")) {
                if (b.length() > 0) {
                    b.append(' ');
                }
                String w = word;
                String tail = "";
                if (w.endsWith(",")) {
                    w = w.substring(0, w.length() - 1);
                    tail = ",";
                }
                if (w.startsWith("-") && w.length() > 1) {
                    b.append("\\fB").append(escape(w)).append("\\fR");
                } else if (w.matches("[A-Z][A-Z0-9_./:<>-]*") && !w.startsWith("SUPERVISOR_")) {
                    b.append("\\fI").append(escape(w)).append("\\fR");
                } else {
                    b.append(escape(w));
                }
                b.append(escape(tail));
            }
            String s = b.toString();
            return s.startsWith(".") || s.startsWith("'") ? "\\&" + s : s;
        }

        private static String escapeLine(String line) {
            String s = escape(line);
            return s.startsWith(".") || s.startsWith("'") ? "\\&" + s : s;
        }

        /** Backslashes and hyphens as roff wants them (\- is the minus an option starts with). */
        static String escape(String s) {
            StringBuilder b = new StringBuilder(s.length() + 8);
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '\\' -> b.append("\\e");
                    case '-' -> b.append("\\-");
                    default -> {
                        if (c < 0x80) {
                            b.append(c);
                        } else {
                            b.append(String.format("\\[u%04X]", (int) c));
                        }
                    }
                }
            }
            return b.toString();
        }

        @Override
        public String toString() {
            return out.toString();
        }
    }
}
