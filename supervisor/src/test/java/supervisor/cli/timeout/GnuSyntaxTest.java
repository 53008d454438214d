package supervisor.cli.timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * GNU timeout's syntax, piece by piece, as coreutils 9.1 reads and writes it: durations
 * ({@code parse_duration} on strtod), signals ({@code operand2sig}, {@code sig2str}) and quoting
 * (gnulib's {@code quote}). TimeoutCommandIT compares whole runs with /usr/bin/timeout.
 */
class GnuSyntaxTest {
    @ParameterizedTest(name = "''{0}'' is {1} ns")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "10|10000000000", "1.5|1500000000", ".5|500000000", "5.|5000000000", "1e3|1000000000000",
        "1.5m|90000000000", "2h|7200000000000", "1d|86400000000000", "0.25s|250000000",
        "\" 1\"|1000000000", "+1|1000000000", "0x10|16000000000", "0x1p-3|125000000", "0X.8P1|1000000000",
        "0|0", "-0|0", "0d|0", "1e-999|0", "4e-320|1", "9.999999999|9999999999",
        "inf|4611686018427387904", "INFINITY|4611686018427387904", "1e999|4611686018427387904",
        "9223372036854775808|4611686018427387904", "2.34e+5d|4611686018427387904",
        "\"\"|-1", "x|-1", "1x|-1", "1D|-1", "\"1 \"|-1", "1ss|-1", "-1|-1", "nan|-1", "NAN(1)|-1", "1e|-1",
        "0x|-1", "0xg|-1", "-inf|-1", ".|-1", "1,5|-1"})
    void durations(String text, long nanos) {
        assertEquals(nanos, GnuDuration.nanos(text));
    }

    @ParameterizedTest(name = "''{0}'' is {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "TERM|15", "term|15", "SIGTERM|15", "sigkill|9", "9|9", "0|0", "EXIT|0", "137|9", "265|9", "128|0",
        "IOT|6", "CLD|17", "IO|29", "POLL|29", "RTMIN|34", "RTMIN+3|37", "RTMAX-2|62", "RTMAX|64", "SIG9|9",
        "32|-1", "65|-1", "FOO|-1", "\"\"|-1", "\" 9\"|-1", "9x|-1", "RTMIN+31|-1", "RTMAX+1|-1", "SIG|-1",
        "99999999999|-1"})
    void signals(String text, int number) {
        assertEquals(number, GnuSignals.parse(text));
    }

    @ParameterizedTest(name = "{0} is written {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {"0|EXIT", "6|ABRT", "17|CHLD", "29|POLL", "34|RTMIN", "35|RTMIN+1",
        "49|RTMIN+15", "50|RTMAX-14", "64|RTMAX", "32|32", "33|33"})
    void signalNames(int number, String name) {
        assertEquals(name, GnuSignals.nameOrNumber(number));
    }

    @ParameterizedTest(name = "{0} in UTF-8: {1}; in C: {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "x|‘x’|'x'", "a'b|‘a'b’|'a\\'b'", "a\\b|‘a\\\\b’|'a\\\\b'", "é|‘é’|'\\303\\251'",
        "a’b|‘a\\’b’|'a\\342\\200\\231b'", "\"\"|‘’|''"})
    void quotes(String text, String utf8, String c) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(utf8, new String(GnuQuote.quote(bytes, true), StandardCharsets.UTF_8));
        assertEquals(c, new String(GnuQuote.quote(bytes, false), StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "byte {0}")
    @CsvSource(quoteCharacter = '"', value = {"10,'\\n'", "9,'\\t'", "1,'\\001'", "127,'\\177'", "255,'\\377'"})
    void controlsAndInvalidBytesAreEscaped(int b, String quoted) {
        assertEquals(quoted, new String(GnuQuote.quote(new byte[] {(byte) b}, false), StandardCharsets.UTF_8));
        assertEquals(quoted.replace('\'', '‘').replaceFirst("‘$", "’"),
                new String(GnuQuote.quote(new byte[] {(byte) b}, true), StandardCharsets.UTF_8));
    }
}
