package supervisor.cli.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import supervisor.log.Printable;

/** Every setting's value goes through one check, whether from an option, a variable or a file. */
class SettingTest {

    @ParameterizedTest(name = "count \"{0}\" is accepted")
    @ValueSource(strings = {"0", "1", "007", "2147483647"})
    void countsAreAsciiDigits(String v) {
        assertDoesNotThrow(() -> Setting.RETRIES.check(v));
    }

    @ParameterizedTest(name = "[{index}] count refused")
    @ValueSource(strings = {"", " ", "+1", "-1", "1.0", "1e3", "0x10", "2147483648", "99999999999999999999",
        " 1", "1 ", "1\n", "\u0661", "1\u0660", "\uff11", "many"})
    void countsRefuseSignsOverflowAndOtherScripts(String v) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Setting.RETRIES.check(v));
        assertTrue(e.getMessage().startsWith(Printable.quote(v) + " is not a whole number from 0 to 2147483647"),
                e.getMessage());
    }

    @ParameterizedTest(name = "[{index}] pipeline refused with its own range")
    @ValueSource(strings = {"0", "1025", "99999999999", "", "-1", "many"})
    void aBoundedCountNamesItsOwnRange(String v) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Setting.PIPELINE.check(v));
        assertTrue(e.getMessage().startsWith(Printable.quote(v) + " is not a whole number from 1 to 1024"), e.getMessage());
    }

    @ParameterizedTest(name = "pipeline \"{0}\" is accepted")
    @ValueSource(strings = {"1", "32", "1024", "01024"})
    void pipelinesFromOneTo1024AreAccepted(String v) {
        assertDoesNotThrow(() -> Setting.PIPELINE.check(v));
    }

    @ParameterizedTest(name = "stop signal {0} is refused for a JVM task")
    @ValueSource(strings = {"USR2", "SIGUSR2", "12", "QUIT", "SEGV", "ILL", "BUS", "FPE", "PIPE", "XFSZ"})
    void stopSignalsAJvmDoesNotStopOnAreRefused(String v) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Setting.STOP_SIGNAL.check(v));
        assertTrue(e.getMessage().startsWith(Printable.quote(v) + " does not ask a JVM task to stop: a JVM "),
                e.getMessage());
    }

    @ParameterizedTest(name = "stop signal {0} is accepted")
    @ValueSource(strings = {"TERM", "INT", "HUP", "USR1", "ALRM", "SIGTERM", "15"})
    void stopSignalsThatEndAJvmAreAccepted(String v) {
        assertDoesNotThrow(() -> Setting.STOP_SIGNAL.check(v));
    }

    @Test
    void positiveAndFrameHaveTheirFloor() {
        assertThrows(IllegalArgumentException.class, () -> Setting.QUEUE.check("0"));
        assertDoesNotThrow(() -> Setting.QUEUE.check("1"));
        assertDoesNotThrow(() -> Setting.WORKERS.check(""));
        assertThrows(IllegalArgumentException.class, () -> Setting.WORKERS.check("+2"));
        assertThrows(IllegalArgumentException.class, () -> Setting.MAX_FRAME.check("1023"));
        assertDoesNotThrow(() -> Setting.MAX_FRAME.check("1024"));
    }

    @Test
    void memoryHasAFloorAndOutputDoesNot() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Setting.MEMORY.check("10"));
        assertTrue(e.getMessage().contains("a JVM needs to start"), e.getMessage());
        assertDoesNotThrow(() -> Setting.MEMORY.check(""));
        assertDoesNotThrow(() -> Setting.MEMORY.check("64m"));
        assertDoesNotThrow(() -> Setting.MAX_OUTPUT.check("10"));
    }

    @Test
    void durationsAndSizesUseTheirGrammar() {
        assertThrows(IllegalArgumentException.class, () -> Setting.TIMEOUT.check("\u0661ms"));
        assertThrows(IllegalArgumentException.class, () -> Setting.GRACE.check("\u0660s"));
        assertThrows(IllegalArgumentException.class, () -> Setting.CPU_TIME.check("99999999999999h"));
        assertThrows(IllegalArgumentException.class, () -> Setting.MAX_OUTPUT.check("\u0661M"));
    }

    @Test
    void aChoiceNamesTheValueEscaped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Setting.TERMINATION.check("tree\nsupervisor: fine"));
        assertTrue(e.getMessage().equals("'tree\\nsupervisor: fine' is not one of auto, cgroup, tree"), e.getMessage());
    }
}
