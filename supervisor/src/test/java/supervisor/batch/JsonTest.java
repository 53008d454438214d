package supervisor.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
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
}
