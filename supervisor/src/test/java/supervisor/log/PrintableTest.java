package supervisor.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void printableAsciiIsLeftAsItIs() {
        String plain = "task-1.jar --x='y' ~/a b";
        assertSame(plain, Printable.escape(plain));
        assertEquals("'5s'", Printable.quote("5s"));
    }

    @Test
    void controlAndNonAsciiCharactersAreEscaped() {
        String[][] table = {
            {"a\nb", "a\\nb"},
            {"a\tb", "a\\tb"},
            {"a\rb", "a\\rb"},
            {"a\\b", "a\\\\b"},
            {"\u0000", "\\u0000"},
            {"\u001b[31m", "\\u001b[31m"},
            {"\u007f", "\\u007f"},
            {"\u0661ms", "\\u0661ms"},
            {"caf\u00e9.jar", "caf\\u00e9.jar"},
            {"\u2028", "\\u2028"},
            {"\ud83d\ude00", "\\ud83d\\ude00"},
            {"", ""},
        };
        for (String[] row : table) {
            assertEquals(row[1], Printable.escape(row[0]));
        }
    }
}
