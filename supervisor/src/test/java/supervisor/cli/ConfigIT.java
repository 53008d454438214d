package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.cli.config.Setting;
import supervisor.testing.Supervisor.Route;
import supervisor.testing.Supervisor;

/** Settings from the command line, the environment, a config file and the defaults. */
class ConfigIT {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void precedenceIsCommandLineThenEnvironmentThenFileThenDefault(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("s.properties"), "# comment\ntimeout = 9s\ngrace = 8s\nretries = 3\n");
        try (Supervisor s = Supervisor.builder("config", "--config", file.toString(), "--timeout", "7s")
                .environment("SUPERVISOR_GRACE", "6s").start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            String out = s.stdout();
            assertTrue(out.matches("(?s).*timeout\\s+= 7s\\s+# command line\\n.*"), out);
            assertTrue(out.matches("(?s).*grace\\s+= 6s\\s+# environment SUPERVISOR_GRACE\\n.*"), out);
            assertTrue(out.matches("(?s).*retries\\s+= 3\\s+# " + Pattern.quote(file.toString()) + ":4\\n.*"), out);
            assertTrue(out.matches("(?s).*max-calls\\s+= 0\\s+# default\\n.*"), out);
        }
    }

    @Test
    void aConfigFileTimeoutStopsTheTask(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("s.properties"), "timeout = 1s\ngrace = 1s\n");
        try (Supervisor s = Supervisor.run(Route.TREE, List.of("--config", file.toString()), "hang-with-hook")) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("timeout 1s expired"), s.stderr());
        }
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hang")
                .environment("SUPERVISOR_CONFIG", file.toString()).start()) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
        }
    }

    @Test
    void badFilesAndValuesAreExit2WithFileAndLine(@TempDir Path dir) throws Exception {
        Path unknown = Files.writeString(dir.resolve("u.properties"), "timeout = 1s\n\nfrobnicate = yes\n");
        Path bad = Files.writeString(dir.resolve("b.properties"), "workers = many\n");
        Path noEquals = Files.writeString(dir.resolve("n.properties"), "timeout 5s\n");
        Path fifo = dir.resolve("f.properties");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor());
        Path big = Files.write(dir.resolve("big.properties"), new byte[(1 << 20) + 1]);
        String[][] cases = {
            {unknown.toString(), unknown + ":3: unknown setting 'frobnicate'"},
            {bad.toString(), bad + ":1: workers: 'many' is not a whole number from 1"},
            {noEquals.toString(), noEquals + ":1: expected KEY = VALUE"},
            {dir.resolve("missing").toString(), dir.resolve("missing") + ": cannot read: no such file"},
            {"/dev/zero", "/dev/zero: cannot read: not a regular file (a FIFO, socket or device)"},
            {fifo.toString(), fifo + ": cannot read: not a regular file (a FIFO, socket or device)"},
            {big.toString(), big + ": cannot read: larger than 1M"},
        };
        for (String[] c : cases) {
            for (String command : List.of("run", "pool", "config")) {
                String[] args = command.equals("config") ? new String[] {command, "--config", c[0]}
                        : new String[] {command, "--config", c[0], Supervisor.TASKS.toString()};
                try (Supervisor s = Supervisor.builder(args).start()) {
                    assertEquals(2, s.exitCode(LONG), command + " " + c[0] + ": " + s.stderr());
                    assertTrue(s.stderr().startsWith("supervisor: " + c[1]), s.stderr());
                    assertEquals(1, s.stderr().lines().count(), s.stderr());
                }
            }
        }
    }

    @Test
    void aBadEnvironmentValueRefusesEvenAnAlreadyStartedTask() throws Exception {
        // On the launcher's fast path the task starts before the JVM reads the environment: it
        // must be killed when the JVM then refuses the value.
        try (Supervisor s = Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "hang")
                .route(Route.TREE).environment("SUPERVISOR_TIMEOUT", "soon").start()) {
            assertEquals(2, s.exitCode(LONG));
            assertTrue(s.stderr().contains("supervisor: SUPERVISOR_TIMEOUT: invalid duration 'soon'"), s.stderr());
        }
    }

    @Test
    void theShippedConfigFileListsEverySettingWithItsDefault() throws Exception {
        Properties p = new Properties();
        try (var in = Files.newInputStream(Path.of("../config/supervisor.properties"))) {
            p.load(in);
        }
        for (Setting s : Setting.values()) {
            assertTrue(p.containsKey(s.key), "config/supervisor.properties lacks " + s.key);
            assertEquals(s.defaultValue, p.getProperty(s.key).trim(), s.key);
        }
        assertEquals(Setting.values().length, p.size(), "no setting the supervisor does not know");
    }
}
