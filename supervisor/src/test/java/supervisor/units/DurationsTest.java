package supervisor.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import supervisor.log.Printable;

/** The duration grammar, as a table: what is accepted and as what, what is refused and how. */
class DurationsTest {

    @ParameterizedTest(name = "\"{0}\" is {1} ns")
    @CsvSource({
        "500ms,          500000000",
        "1.5s,           1500000000",
        "2m,             120000000000",
        "1h,             3600000000000",
        "1d,             86400000000000",
        "30,             30000000000",
        "0,              0",
        "0s,             0",
        "0.0,            0",
        "000,            0",
        "0.5,            500000000",
        "1.5ms,          1500000",
        "007s,           7000000000",
        "0.000000001s,   1",
        "1.0000000004s,  1000000000",
        "1000d,          86400000000000000",
        "24000h,         86400000000000000",
        "1440000m,       86400000000000000",
        "86400000s,      86400000000000000",
        "86400000000ms,  86400000000000000",
        "999.999999999d, 86399999999913600",
    })
    void parsesTheDocumentedForms(String text, long nanos) {
        assertEquals(nanos, Durations.parseNanos(text));
    }

    @Test
    void aBareNumberMeansSecondsAsInTimeout1() {
        assertEquals(TimeUnit.SECONDS.toNanos(30), Durations.parseNanos("30"));
        assertEquals(Durations.parseNanos("30s"), Durations.parseNanos("30"));
    }

    static Stream<String> notDurations() {
        return Stream.of(
                "", " ", "\t", "s", "ms", "3x", "1S", "1MS", "1H", "1 s", "1\ts", "1s ", " 1s", "1\ns", "1s\n",
                "\n", "1.s", ".5s", "1.5.5s", "1,5s", "-1s", "+1s", "1e3", "1e3s", "1E3s", "0x10s", "1sec",
                "1ms5", "5m30s", "1w", "1y", "1us", "1ns", "NaN", "Infinity", "1_000s", "1s\u0000",
                // Digits of other scripts: Character.isDigit says yes, '\u0661' - '0' is 1585.
                "\u0661ms", "\u0660s", "1\u0660s", "\u0661", "1.\u0665s", "\uff11s", "\u0967s", "１s",
                "1\u00a0s", "1\u200bs", "1ｓ");
    }

    @ParameterizedTest(name = "[{index}] refused")
    @MethodSource("notDurations")
    void refusesAnythingElseNamingTheValueAndTheForms(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parseNanos(text));
        assertTrue(e.getMessage().contains(Printable.quote(text)), e.getMessage());
        assertTrue(e.getMessage().contains("ms, s, m, h or d"), "the message lists the units: " + e.getMessage());
        assertTrue(e.getMessage().contains("bare number means seconds"), e.getMessage());
        assertOneLineOfPrintableAscii(e.getMessage());
    }

    @ParameterizedTest(name = "\"{0}\" is too long")
    @ValueSource(strings = {"1000.000001d", "1001d", "24001h", "99999999999999h", "99999999999h",
        "9223372036854775807s", "9223372036854775808", "99999999999999999999999999999999ms",
        "86400000001s", "86400000000001ms"})
    void refusesMoreThanAThousandDaysInsteadOfOverflowing(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parseNanos(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("too long (at most 1000d)"), e.getMessage());
    }

    @Test
    void refusesWhatIsShorterThanANanosecond() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Durations.parseNanos("0.0000000001s"));
        assertTrue(e.getMessage().contains("shorter than a nanosecond"), e.getMessage());
    }

    @Test
    void aNewlineInTheValueCannotBreakTheOneLineMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Durations.parseNanos("5s\nsupervisor: all is well"));
        assertTrue(e.getMessage().contains("'5s\\nsupervisor: all is well'"), e.getMessage());
        assertOneLineOfPrintableAscii(e.getMessage());
    }

    static void assertOneLineOfPrintableAscii(String message) {
        assertFalse(message.chars().anyMatch(c -> c < 0x20 || c > 0x7e), "not printable ASCII: " + message);
    }

    @ParameterizedTest(name = "{0} ns is \"{1}\"")
    @CsvSource({
        "30000000000,   30s",
        "1500000000,    1.5s",
        "500000000,     500ms",
        "120000000000,  2m",
        "3600000000000, 1h",
        "90000000000,   90s",
        "1000000000,    1s",
        "1500000,       1.5ms",
    })
    void formatsTheShortestForm(long nanos, String text) {
        assertEquals(text, Durations.format(nanos));
    }

    @ParameterizedTest(name = "\"{0}\" survives a round trip")
    @ValueSource(strings = {"500ms", "1.5s", "30s", "2m", "1h", "250ms", "2.25s"})
    void formatReadsBackAsTheSameDuration(String text) {
        assertEquals(text, Durations.format(Durations.parseNanos(text)));
    }
}
