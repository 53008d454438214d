package supervisor.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExitStatusTest {

    @ParameterizedTest(name = "wait status {0} is code {1}, signal {2}")
    @CsvSource({
        // exit(N): N in bits 8-15, nothing in the low byte
        "0x0000, 0,   0",
        "0x0100, 1,   0",
        "0x0900, 9,   0",
        "0xff00, 255, 0",
        // killed by signal N: N in the low 7 bits, as the shell reports it
        "0x0009, 137, 9",
        "0x000f, 143, 15",
        "0x0002, 130, 2",
        // 0x80 is the core-dump flag: a crashed JVM's SIGABRT is still 134
        "0x0086, 134, 6",
        "0x008b, 139, 11",
    })
    void decodesARawWaitStatus(String status, int code, int signal) {
        ExitStatus s = ExitStatus.fromWaitStatus(Integer.decode(status));
        assertEquals(new ExitStatus(code, signal), s);
        assertEquals(signal, s.likelySignal());
    }

    @Test
    void anExitWithTheCodeOfASignalIsNotASignal() {
        // exit(137) and death by SIGKILL differ in a wait status, though the shell shows both as 137.
        assertEquals(new ExitStatus(137, 0), ExitStatus.fromWaitStatus(137 << 8));
        assertEquals(new ExitStatus(137, 9), ExitStatus.fromWaitStatus(9));
    }

    @ParameterizedTest(name = "JDK exit value {0} is code {0}, signal {1}")
    @CsvSource({
        "0,   0",
        "1,   0",
        "124, 0",
        "128, 0",
        "129, -1",
        "137, -1",
        "143, -1",
        "192, -1",
        "193, 0",
        "255, 0",
    })
    void fromJdkLeavesTheSignalUnknownWhereTheValueCouldBeEither(int value, int signal) {
        assertEquals(new ExitStatus(value, signal), ExitStatus.fromJdk(value));
    }

    @Test
    void likelySignalGuessesFromAnAmbiguousJdkValue() {
        assertEquals(9, ExitStatus.fromJdk(137).likelySignal());
        assertEquals(15, ExitStatus.fromJdk(143).likelySignal());
        assertEquals(0, ExitStatus.fromJdk(3).likelySignal());
    }

    @Test
    void describeSaysWhatHappened() {
        assertEquals("exited with status 0", ExitStatus.fromWaitStatus(0).describe());
        assertEquals("exited with status 9", ExitStatus.fromWaitStatus(0x0900).describe());
        assertEquals("died of SIGKILL", ExitStatus.fromWaitStatus(9).describe());
        assertEquals("died of SIGABRT", ExitStatus.fromWaitStatus(0x86).describe());
        assertEquals("died of SIGTERM", ExitStatus.fromWaitStatus(15).describe());
        assertEquals("ended with status 137 (SIGKILL, or an exit with that status)",
                ExitStatus.fromJdk(137).describe());
        assertEquals("exited with status 3", ExitStatus.fromJdk(3).describe());
    }

    @Test
    void describeNamesASignalWithoutAClassicName() {
        assertEquals("died of signal 40", ExitStatus.fromWaitStatus(40).describe());
    }
}
