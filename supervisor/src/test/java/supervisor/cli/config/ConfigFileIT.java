package supervisor.cli.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.units.Durations;

/** Config files: only regular files, at most 1M, UTF-8, and every error names the file (and line). */
class ConfigFileIT {
    @TempDir
    Path dir;

    private static String refusal(Path file) {
        // Preemptive: a check that opened a FIFO would block here for good.
        ConfigException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(ConfigException.class, () -> Settings.load(Map.of(), file, Map.of())));
        return e.getMessage();
    }

    @Test
    void aByteOrderMarkAtTheStartIsSkipped() throws Exception {
        Path file = dir.resolve("settings.conf");
        Files.write(file, ("\ufefftimeout = 3s\n").getBytes(StandardCharsets.UTF_8));
        assertEquals("3s", Settings.load(Map.of(), file, Map.of()).get(Setting.TIMEOUT));
    }

    @Test
    void devZeroIsRefusedAtOnce() {
        assertEquals("/dev/zero: cannot read: not a regular file (a FIFO, socket or device), expected a config file",
                refusal(Path.of("/dev/zero")));
    }

    @Test
    void aFifoIsRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("settings.fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        assertEquals(fifo + ": cannot read: not a regular file (a FIFO, socket or device), expected a config file",
                refusal(fifo));
    }

    @Test
    void aDirectoryIsRefused() {
        assertEquals(dir + ": cannot read: it is a directory, not a config file", refusal(dir));
    }

    @Test
    void aMissingFileAndASymlinkLoopAreRefused() throws IOException {
        assertEquals(dir.resolve("missing") + ": cannot read: no such file", refusal(dir.resolve("missing")));
        Path a = dir.resolve("a");
        Files.createSymbolicLink(a, dir.resolve("b"));
        Files.createSymbolicLink(dir.resolve("b"), a);
        String loop = refusal(a);
        assertTrue(loop.startsWith(a + ": cannot read: Too many levels of symbolic links"), loop);
    }

    @Test
    void aFileLargerThan1MIsRefused() throws IOException {
        Path big = dir.resolve("big.properties");
        Files.write(big, new byte[ConfigFile.MAX_BYTES + 1]);
        assertEquals(big + ": cannot read: larger than 1M (1048576 bytes), too large for a config file", refusal(big));
    }

    @Test
    void aFileOfExactly1MIsRead() throws Exception {
        Path full = dir.resolve("full.properties");
        byte[] bytes = new byte[ConfigFile.MAX_BYTES];
        Arrays.fill(bytes, (byte) '\n');
        byte[] line = "timeout = 7s\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(line, 0, bytes, 0, line.length);
        Files.write(full, bytes);
        assertEquals("7s", Settings.load(Map.of(), full, Map.of()).get(Setting.TIMEOUT));
    }

    @Test
    void aFileThatIsNotUtf8IsRefused() throws IOException {
        Path latin1 = Files.write(dir.resolve("latin1.properties"), new byte[] {'j', 'a', 'v', 'a', '=', (byte) 0xe9, '\n'});
        assertEquals(latin1 + ": cannot read: not UTF-8 text", refusal(latin1));
    }

    @Test
    void aBadValueNamesFileLineAndTheValueEscaped() throws IOException {
        Path file = Files.writeString(dir.resolve("s.properties"), "# settings\n\ntimeout = \u0661ms\n");
        assertEquals(file + ":3: timeout: invalid duration '\\u0661ms' (" + Durations.EXPECTED + ")", refusal(file));
        Path nul = Files.writeString(dir.resolve("n.properties"), "grace = 5s\u0000\n");
        assertEquals(nul + ":1: grace: invalid duration '5s\\u0000' (" + Durations.EXPECTED + ")", refusal(nul));
        Path key = Files.writeString(dir.resolve("k.properties"), "time\u001bout = 5s\n");
        assertEquals(key + ":1: unknown setting 'time\\u001bout'", refusal(key));
    }

    @Test
    void aFileNameWithANewlineIsEscaped() throws IOException {
        Path file = Files.writeString(dir.resolve("a\nb.properties"), "workers = many\n");
        String parent = dir.toString();
        assertEquals(parent + "/a\\nb.properties:1: workers: 'many' is not a whole number from 1 to 1024"
                + " (ASCII digits only)", refusal(file));
    }

    @Test
    void aSettingGivenTwiceIsRefusedNotTheLastOneTaken() throws IOException {
        // An edit that added a line instead of changing one: the reader sees the first program.
        Path file = Files.writeString(dir.resolve("twice.conf"), "program = /bin/echo\ntask-args = 1\nprogram = /bin/true\n");
        assertEquals(file + ":3: program is set again (first at line 1): one line per setting", refusal(file));
    }

    @Test
    void aBadVariableIsNamed() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Settings.load(Map.of(), null, Map.of("SUPERVISOR_MEMORY", "10")));
        assertEquals("SUPERVISOR_MEMORY: memory limit '10' is 10 bytes, less than the 32M a JVM needs to start"
                + " (a bare number means bytes)", e.getMessage());
    }
}
