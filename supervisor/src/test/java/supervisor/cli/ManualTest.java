package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import supervisor.cli.config.Setting;

/**
 * The man page and the bash completion say what --help says (they are made from it, cli/Manual):
 * every option of every command's help is in both, every option a parser takes is in its help,
 * and every command of the list is one that Main runs.
 */
class ManualTest {
    private static final String PAGE = unroff(Manual.manPage());
    private static final String COMPLETION = Manual.completion();

    @Test
    void everyOptionOfEveryHelpIsInTheManPageAndTheCompletion() {
        for (Command c : Command.values()) {
            List<String> options = Command.optionsIn(c.help);
            // GNU's command line has no --config: timeout reads no settings file; nor does probe,
            // which reads only the health file it is given.
            assertTrue(c == Command.TIMEOUT || c == Command.PROBE || options.contains("--config"), c.name + ": " + options);
            String offered = offeredFor(c.name);
            for (String o : options) {
                assertTrue(Pattern.compile("(?<![\\w-])" + Pattern.quote(o) + "(?![\\w-])").matcher(PAGE).find(),
                        "the man page lacks " + c.name + " " + o);
                assertTrue((" " + offered + " ").contains(" " + o + " "), "the completion of " + c.name + " lacks " + o
                        + ": " + offered);
            }
        }
        for (String o : Command.optionsIn(Command.mainHelp())) {
            assertTrue(PAGE.contains(o), "the man page lacks " + o);
            assertTrue(COMPLETION.contains(" " + o), "the completion lacks " + o);
        }
    }

    @Test
    void everyOptionAParserTakesIsInItsHelp() {
        List<String> run = new ArrayList<>(RunCommand.VALUED);
        run.addAll(RunCommand.FLAGS);
        run.addAll(List.of("-h", "--help", "-v", "--verbose"));
        for (String o : run) {
            assertTrue(Command.RUN.options().contains(o), "supervisor run --help lacks " + o);
        }
        List<String> pool = new ArrayList<>(PoolCommand.VALUED);
        pool.addAll(List.of("-h", "--help", "-v", "--verbose"));
        for (String o : pool) {
            assertTrue(Command.POOL.options().contains(o), "supervisor pool --help lacks " + o);
        }
        for (Setting s : Setting.values()) {
            assertTrue(Command.CONFIG.help.contains("  " + s.key + " = "), "supervisor config --help lacks " + s.key);
            assertTrue(Command.CONFIG.options().contains("--" + s.key), s.key);
            assertTrue(PAGE.contains(s.key + " = ") && PAGE.contains(s.environmentVariable()), "the man page lacks " + s.key);
            assertTrue((" " + offeredFor("config") + " ").contains(" --" + s.key + " "), "the completion lacks --" + s.key);
        }
    }

    @Test
    void optionsThatTakeAValueAreKnownToTheCompletion() {
        Matcher m = Pattern.compile("(?m)^ +" + "run" + "\\)\\n +opts='[^']*'\\n +valued='([^']*)'").matcher(COMPLETION);
        assertTrue(m.find(), COMPLETION);
        List<String> valued = List.of(m.group(1).split(" "));
        for (String o : List.of("--timeout", "--config", "--report", "--env", "--ready-timeout", "--jvm-opt")) {
            assertTrue(valued.contains(o), o + " takes a value: " + valued);
        }
        for (String o : List.of("--clear-env", "--private-tmp", "--no-thread-dump", "--verbose")) {
            assertTrue(!valued.contains(o), o + " is a flag of run: " + valued);
        }
    }

    @Test
    void everyListedCommandIsOneMainRunsAndItsHelpIsWhatItPrints() {
        String help = Command.mainHelp();
        for (Command c : Command.values()) {
            assertTrue(help.contains("\n  " + c.name + " "), help);
            if (c == Command.TIMEOUT) {
                // timeout writes its help to fd 1 itself (a write error is GNU's 125), past
                // System.out: what the launcher prints is compared with this text in TimeoutCommandIT.
                assertSame(TimeoutCommand.HELP, c.help);
            } else {
                assertEquals(c.help, stdoutOf(c.name, "--help"), c.name);
            }
            assertTrue(PAGE.contains("supervisor " + c.name), "the man page lacks a section for " + c.name);
        }
        assertEquals(help, stdoutOf("--help"));
    }

    @Test
    void versionNamesTheVersionAndTheCommit() {
        String out = stdoutOf("--version");
        assertTrue(out.matches("supervisor \\S+ \\((commit [0-9a-f]{12}(, with local changes)?"
                + "|no commit: built from a tree without git)\\)\\n"), out);
        assertEquals(out, stdoutOf("-V"));
        assertTrue(PAGE.contains("supervisor " + BuildInfo.VERSION), "the man page's header names the version");
    }

    @Test
    void theManPageHasTheSectionsOfAManPage() {
        String roff = Manual.manPage();
        int last = -1;
        for (String section : List.of(".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS",
                ".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES", ".SH \"SEE ALSO\"")) {
            int at = roff.indexOf("\n" + section + "\n");
            assertTrue(at > last, section + " in its place");
            last = at;
        }
        for (String line : roff.split("\n")) {
            assertTrue(!line.startsWith("'") && (!line.startsWith(".") || line.matches("\\.[A-Za-z]{1,2}( .*)?")),
                    "a text line that roff would take for a request: " + line);
        }
    }

    /** The words the completion offers after "supervisor NAME -". */
    private static String offeredFor(String name) {
        Matcher m = Pattern.compile("(?m)^ +" + Pattern.quote(name) + "\\)\\n +opts='([^']*)'").matcher(COMPLETION);
        assertTrue(m.find(), "the completion has a case for " + name + ":\n" + COMPLETION);
        return m.group(1);
    }

    /** The man page's text as a reader sees it, near enough: escapes and fonts undone. */
    private static String unroff(String roff) {
        return roff.replace("\\-", "-").replace("\\e", "\\").replaceAll("\\\\f[BIR]", "").replace("\\&", "");
    }

    private static String stdoutOf(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            assertEquals(0, Main.run(List.of(args)));
        } finally {
            System.setOut(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
