package supervisor.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest(name = "\"{0}\" is {1} ns")
    @CsvSource({
        "500ms, 500000000",
        "1.5s,  1500000000",
        "2m,    120000000000",
        "1h,    3600000000000",
        "30,    30000000000",
        "0,     0",
        "0.5,   500000000",
        "1.5ms, 1500000",
    })
    void parsesTheDocumentedForms(String text, long nanos) {
        assertEquals(nanos, Durations.parseNanos(text));
    }

    @Test
    void aBareNumberMeansSecondsAsInTimeout1() {
        assertEquals(TimeUnit.SECONDS.toNanos(30), Durations.parseNanos("30"));
        assertEquals(Durations.parseNanos("30s"), Durations.parseNanos("30"));
    }

    @ParameterizedTest(name = "\"{0}\" is refused")
    @ValueSource(strings = {"", "3x", "-1s", "1.s", "s", "1e3", ".5s", "1 s", "1S", "1.5.5s", "ms"})
    void refusesAnythingElseNamingTheValue(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Durations.parseNanos(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("ms, s, m or h"), "the message lists the units: " + e.getMessage());
    }

    @Test
    void refusesADurationTooLongForANanosecondDeadline() {
        // A deadline is nanoTime() + duration: it must not overflow a long.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Durations.parseNanos("99999999999h"));
        assertTrue(e.getMessage().contains("'99999999999h'"), e.getMessage());
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
