package supervisor.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import supervisor.log.Printable;

/** The size grammar, as a table: what is accepted and as what, what is refused and how. */
class SizesTest {

    @ParameterizedTest(name = "\"{0}\" is {1} bytes")
    @CsvSource({
        "0,       0",
        "100,     100",
        "100B,    100",
        "64K,     65536",
        "64k,     65536",
        "64KB,    65536",
        "64KiB,   65536",
        "64kB,    65536",
        "64kiB,   65536",
        "512M,    536870912",
        "512m,    536870912",
        "512MB,   536870912",
        "512MiB,  536870912",
        "2G,      2147483648",
        "2g,      2147483648",
        "2GB,     2147483648",
        "2GiB,    2147483648",
        "1T,      1099511627776",
        "1t,      1099511627776",
        "1TiB,    1099511627776",
        "1024T,   1125899906842624",
        "1125899906842624, 1125899906842624",
        "0512m,   536870912",
    })
    void parsesTheDocumentedForms(String text, long bytes) {
        assertEquals(bytes, Sizes.parse(text));
    }

    static Stream<String> notSizes() {
        return Stream.of(
                "", " ", "\t", "\n", "m", "B", "iB", "1.5g", "1,5g", ".5g", "-1m", "+1m", "+512M", "12x", "lots",
                "1e3", "1e3K", "0x10", "512 M", "512\tM", "512M ", " 512M", "512\nM", "512M\n", "512Mi", "512MIB",
                "512mb", "512Mb", "512ib", "512MiBB", "512BB", "512P", "1E", "1KK", "1KM", "1b", "1_024",
                // Digits of other scripts: Long.parseLong and \d would take them.
                "\u0665\u0661\u0662M", "\u0661K", "1\u0660M", "\uff15\uff11\uff12M", "\u0967G", "512\u00a0M");
    }

    @ParameterizedTest(name = "[{index}] refused")
    @MethodSource("notSizes")
    void refusesAnythingElseNamingTheValueAndTheForms(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertTrue(e.getMessage().contains(Printable.quote(text)), e.getMessage());
        assertTrue(e.getMessage().contains("K, M, G or T (powers of 1024)"), e.getMessage());
        assertTrue(e.getMessage().contains("bare number means bytes"), e.getMessage());
        assertPrintableAscii(e.getMessage());
    }

    @ParameterizedTest(name = "\"{0}\" is too large")
    @ValueSource(strings = {"1025T", "1048577G", "1125899906842625", "99999999999999999t",
        "9223372036854775807", "9223372036854775808", "99999999999999999999999999999K"})
    void refusesMoreThan1024TInsteadOfOverflowing(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("too large (at most 1024T)"), e.getMessage());
    }

    @ParameterizedTest(name = "memory \"{0}\" is {1} bytes")
    @CsvSource({"0, 0", "32M, 33554432", "33554432, 33554432", "512m, 536870912", "2G, 2147483648", "32768K, 33554432"})
    void aMemoryLimitIsASizeOfAtLeast32M(String text, long bytes) {
        assertEquals(bytes, Sizes.parseMemory(text));
    }

    @ParameterizedTest(name = "memory \"{0}\" is too small")
    @ValueSource(strings = {"10", "512", "1", "33554431", "31M", "16M", "1K", "32767K"})
    void aMemoryLimitAJvmCannotStartWithIsRefused(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parseMemory(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("less than the 32M a JVM needs to start"), e.getMessage());
        boolean bare = text.chars().allMatch(Character::isDigit);
        assertEquals(bare, e.getMessage().contains("a bare number means bytes"), e.getMessage());
    }

    @Test
    void aMemoryLimitIsFirstASize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parseMemory("lots"));
        assertTrue(e.getMessage().startsWith("invalid size 'lots'"), e.getMessage());
    }

    @Test
    void aNewlineInTheValueCannotBreakTheOneLineMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("1G\n2G"));
        assertTrue(e.getMessage().contains("'1G\\n2G'"), e.getMessage());
        assertPrintableAscii(e.getMessage());
    }

    private static void assertPrintableAscii(String message) {
        assertFalse(message.chars().anyMatch(c -> c < 0x20 || c > 0x7e), "not printable ASCII: " + message);
    }

    @Test
    void formatsTheShortestExactForm() {
        assertEquals("512M", Sizes.format(512L << 20));
        assertEquals("1536K", Sizes.format(1536L << 10));
        assertEquals("2G", Sizes.format(2L << 30));
        assertEquals("100 bytes", Sizes.format(100));
    }
}
