package supervisor.worker.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class ErrorPayloadTest {

    @Test
    void describesAThrowableWithItsCauses() throws ProtocolException {
        Exception failure = new IllegalStateException("outer", new IOException("inner"));
        ErrorPayload decoded = ErrorPayload.decode(ErrorPayload.of(failure, true).encode());
        assertTrue(decoded.cancelled());
        assertEquals("java.lang.IllegalStateException", decoded.className());
        assertEquals("outer", decoded.message());
        StringWriter expected = new StringWriter();
        failure.printStackTrace(new PrintWriter(expected));
        assertEquals(expected.toString(), decoded.stackTrace());
        assertTrue(decoded.stackTrace().contains("Caused by: java.io.IOException: inner"));
    }

    @Test
    void distinguishesANullMessageFromAnEmptyOne() throws ProtocolException {
        assertNull(ErrorPayload.decode(new ErrorPayload(false, "X", null, "t").encode()).message());
        assertEquals("", ErrorPayload.decode(new ErrorPayload(false, "X", "", "t").encode()).message());
    }

    @Test
    void encodesFlagsAndLengthPrefixedStrings() {
        byte[] expected = ByteBuffer.allocate(1 + 4 + 1 + 4 + 0 + 4 + 2)
                .put((byte) 3).putInt(1).put((byte) 'X').putInt(0).putInt(2).put((byte) 'a').put((byte) 'b')
                .array();
        assertArrayEquals(expected, new ErrorPayload(true, "X", null, "ab").encode());
    }

    @Test
    void ignoresReservedFlagBits() throws ProtocolException {
        byte[] bytes = new ErrorPayload(false, "X", "m", "t").encode();
        bytes[0] = (byte) 0xFC;
        ErrorPayload decoded = ErrorPayload.decode(bytes);
        assertFalse(decoded.cancelled());
        assertEquals("m", decoded.message());
    }

    @Test
    void refusesMalformedPayloads() {
        assertRefused(new byte[0], "error payload is empty; it must start with a flags byte");
        assertRefused(new byte[] {0, 0, 0}, "error payload ends before the length of the class name");
        assertRefused(ByteBuffer.allocate(5 + 3).put((byte) 0).putInt(-1).array(),
                "error payload: class name length 4294967295 exceeds the 3 bytes left");
        byte[] valid = new ErrorPayload(false, "X", "m", "t").encode();
        byte[] trailing = ByteBuffer.allocate(valid.length + 2).put(valid).array();
        assertRefused(trailing, "error payload has 2 bytes after the stack trace");
    }

    @Test
    void truncatesHugeTextsToFitAndMarksTheCut() throws ProtocolException {
        ErrorPayload huge = new ErrorPayload(false, "x.Huge", "m".repeat(5000), "€".repeat(5000));
        ErrorPayload cut = huge.truncatedTo(1024);
        byte[] encoded = cut.encode();
        assertTrue(encoded.length <= 1024, encoded.length + " bytes");
        assertEquals("x.Huge", cut.className());
        assertTrue(cut.message().endsWith("... [truncated]"), cut.message());
        assertTrue(cut.stackTrace().startsWith("€€€"));
        assertTrue(cut.stackTrace().endsWith("€... [truncated]"), "no character split");
        assertEquals(cut, ErrorPayload.decode(encoded));

        ErrorPayload small = new ErrorPayload(false, "X", "m", "t");
        assertSame(small, small.truncatedTo(1024));
    }

    private static void assertRefused(byte[] payload, String message) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> ErrorPayload.decode(payload));
        assertEquals(message, e.getMessage());
    }
}
