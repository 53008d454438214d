package supervisor.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static String json(String s) {
        StringBuilder b = new StringBuilder();
        Json.string(b, s);
        return b.toString();
    }

    @Test
    void escapesWhatRfc8259Requires() {
        assertEquals("\"plain\"", json("plain"));
        assertEquals("\"q\\\"b\\\\\"", json("q\"b\\"));
        assertEquals("\"\\n\\r\\t\"", json("\n\r\t"));
        assertEquals("\"\\u0000\\u001f\\u0008\"", json("\u0000\u001f\b"));
        assertEquals("\"\\u2028\\u2029\"", json("\u2028\u2029"));
        assertEquals("\"café ✓ 😀\"", json("café ✓ 😀"), "other characters stay as they are");
    }

    @Test
    void onlyValidUtf8IsText() {
        assertEquals("é", Json.utf8OrNull("é".getBytes(StandardCharsets.UTF_8)));
        assertNull(Json.utf8OrNull(new byte[] {(byte) 0xe9}), "Latin-1 é alone is not UTF-8");
        assertNull(Json.utf8OrNull(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}), "a lone surrogate is not UTF-8");
        assertEquals("", Json.utf8OrNull(new byte[0]));
    }

    private static String utf8(String s) throws Exception {
        var out = new ByteArrayOutputStream();
        Json.utf8String(out, s.getBytes(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void bytesAreEscapedAsStringsAre() throws Exception {
        String[] samples = {"plain", "q\"b\\", "\n\r\t", "\u0000\u001f\b\u007f", "\u2028\u2029", "café ✓ 😀",
            "a\u2028", "\u2029b", "\u2027\u202a", ""};
        for (String sample : samples) {
            assertEquals(json(sample), utf8(sample), sample);
        }
    }

    @Test
    void noValueCanAddAFieldOrALine() throws Exception {
        String hostile = "x\",\"status\":\"ok\"}\n{\"line\":2,\"status\":\"ok\"\r\u2028";
        for (String encoded : new String[] {json(hostile), utf8(hostile)}) {
            assertEquals(-1, encoded.indexOf('\n'), encoded);
            assertEquals(-1, encoded.indexOf('\r'), encoded);
            assertEquals(-1, encoded.indexOf('\u2028'), encoded);
            // Inside, every quote is escaped: the string ends only at its last character.
            String inside = encoded.substring(1, encoded.length() - 1);
            assertEquals(-1, inside.replace("\\\\", "").replace("\\\"", "").indexOf('"'), encoded);
        }
    }

    @Test
    void isUtf8CheckesLargeInputsInConstantSpace() {
        byte[] big = new byte[3 << 20];
        Arrays.fill(big, (byte) 'a');
        assertEquals(true, Json.isUtf8(big));
        big[big.length - 1] = (byte) 0xc3; // a sequence cut at the end
        assertEquals(false, Json.isUtf8(big));
    }
}
