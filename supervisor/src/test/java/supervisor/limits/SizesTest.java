package supervisor.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SizesTest {
    @Test
    void parsesBinaryUnits() {
        assertEquals(100, Sizes.parse("100"));
        assertEquals(64 << 10, Sizes.parse("64k"));
        assertEquals(512L << 20, Sizes.parse("512m"));
        assertEquals(512L << 20, Sizes.parse("512M"));
        assertEquals(2L << 30, Sizes.parse("2g"));
        assertEquals(2L << 30, Sizes.parse("2GB"));
        assertEquals(1L << 40, Sizes.parse("1t"));
    }

    @Test
    void refusesWhatIsNotASize() {
        for (String bad : new String[] {"", "m", "1.5g", "-1m", "12x", "lots", "99999999999999999t"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void formatsTheShortestExactForm() {
        assertEquals("512M", Sizes.format(512L << 20));
        assertEquals("1536K", Sizes.format(1536L << 10));
        assertEquals("2G", Sizes.format(2L << 30));
        assertEquals("100 bytes", Sizes.format(100));
    }
}
