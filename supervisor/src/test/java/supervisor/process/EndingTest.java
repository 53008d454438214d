package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import supervisor.launch.ExitStatus;
import supervisor.limits.LimitHit;

/** How an ending is decoded and put in words, from wait statuses, limit verdicts and crash logs alone. */
class EndingTest {

    @ParameterizedTest(name = "wait status {0}: code {1}, signal {2}, by signal {3}: {4}")
    @CsvSource(delimiter = '|', value = {
        "0x0000 | 0   | 0  | false | exited with status 0",
        "0x0300 | 3   | 0  | false | exited with status 3",
        "0x8f00 | 143 | 0  | false | exited with status 143",
        "0x0009 | 137 | 9  | true  | died of SIGKILL",
        "0x0086 | 134 | 6  | true  | died of SIGABRT",
        "0x000f | 143 | 15 | true  | died of SIGTERM",
    })
    void decodesAWaitStatus(String wait, int code, int signal, boolean bySignal, String words) {
        Ending e = Ending.of(ExitStatus.fromWaitStatus(Integer.decode(wait)), null);
        assertEquals(code, e.code());
        assertEquals(signal, e.signal());
        assertEquals(bySignal, e.bySignal());
        assertEquals(words, e.describe());
        assertNull(e.limitWord());
        assertEquals(0, e.limitStatus());
        assertEquals("", e.limitPrefix());
        assertEquals("", e.crashLogSuffix());
    }

    @Test
    void aJdkStatusAbove128IsTakenForASignalButSaidToBeEither() {
        Ending e = Ending.of(ExitStatus.fromJdk(137), null);
        assertEquals(9, e.signal());
        assertTrue(e.bySignal());
        assertEquals("ended with status 137 (SIGKILL, or an exit with that status)", e.describe());
        assertFalse(Ending.of(ExitStatus.fromJdk(1), null).bySignal());
    }

    @Test
    void aLimitGivesItsStatusWordAndPrefix() {
        Ending memory = Ending.of(ExitStatus.fromWaitStatus(9), LimitHit.MEMORY);
        assertEquals(121, memory.code());
        assertEquals(121, memory.limitStatus());
        assertEquals("memory", memory.limitWord());
        assertEquals("memory limit exceeded: ", memory.limitPrefix());
        assertEquals(9, memory.signal(), "the signal stays what it was");

        Ending cpu = Ending.of(ExitStatus.fromWaitStatus(24), LimitHit.CPU);
        assertEquals(122, cpu.code());
        assertEquals("cpu", cpu.limitWord());
        assertEquals("CPU time limit exceeded: ", cpu.limitPrefix());
        assertEquals("died of SIGXCPU", cpu.describe());
    }

    @Test
    void withoutAStatusItHasNotEnded() {
        Ending e = Ending.of(null, null);
        assertEquals(0, e.signal());
        assertFalse(e.bySignal());
        assertEquals("has not ended", e.describe());
    }

    @Test
    void aCrashLogNamesTheRealSignalAndFrame(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("hs_err_pid42.log");
        Files.writeString(log, String.join("\n",
                "#",
                "# A fatal error has been detected by the Java Runtime Environment:",
                "#",
                "#  SIGSEGV (0xb) at pc=0x00007f5e4c1e5b35, pid=42, tid=43",
                "#",
                "# Problematic frame:",
                "# C  [libfoo.so+0x1a0b5]  foo_decode+0x1c",
                "#"));
        Ending e = Ending.of(ExitStatus.fromWaitStatus(0x86), null).withCrashLog(Optional.of(log));
        assertEquals(log, e.crashLogPath());
        assertEquals("SIGSEGV in libfoo.so (foo_decode+0x1c)", e.crashWords());
        assertEquals(": crashed with SIGSEGV in libfoo.so (foo_decode+0x1c); the JVM wrote " + log, e.crashLogSuffix());
        assertEquals("crashed: SIGSEGV in libfoo.so (foo_decode+0x1c) (status 134, SIGABRT); the JVM wrote " + log,
                e.crashLine());
    }

    @Test
    void anUnreadableCrashLogIsStillNamedAndTheSignalSaysWhat(@TempDir Path dir) {
        Path gone = dir.resolve("hs_err_pid7.log");
        Ending e = Ending.of(ExitStatus.fromWaitStatus(0x86), null).withCrashLog(Optional.of(gone));
        assertNull(e.crashLog());
        assertEquals("SIGABRT", e.crashWords());
        assertEquals("; the JVM wrote " + gone, e.crashLogSuffix());
        assertEquals("crashed: SIGABRT (status 134, SIGABRT); the JVM wrote " + gone, e.crashLine());
    }

    @Test
    void withoutACrashLogTheLineSaysNobodySentTheSignal() {
        Ending e = Ending.of(ExitStatus.fromWaitStatus(11), null);
        assertSame(e, e.withCrashLog(Optional.empty()));
        assertEquals("died of SIGSEGV, a signal the supervisor did not send", e.crashLine());
    }
}
