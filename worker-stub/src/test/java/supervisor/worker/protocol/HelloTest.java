package supervisor.worker.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HelloTest {

    @Test
    void roundTripsInOrder() throws ProtocolException {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("pid", "42");
        properties.put("worker-id", "w3");
        properties.put("empty", "");
        properties.put("note", "a=b ünïcode");
        Hello decoded = Hello.decode(Hello.of(properties).encode());
        assertEquals(Hello.VERSION, decoded.version());
        assertEquals(properties, decoded.properties());
        assertEquals(List.of("pid", "worker-id", "empty", "note"), List.copyOf(decoded.properties().keySet()));
    }

    @Test
    void encodesMagicVersionAndLines() {
        byte[] expected = ByteBuffer.allocate(6 + 6)
                .put(new byte[] {'S', 'U', 'P', 'V', 0, 1}).put("pid=7\n".getBytes(UTF_8)).array();
        assertArrayEquals(expected, Hello.of(Map.of("pid", "7")).encode());
    }

    @Test
    void refusesWrongMagicWrongVersionAndShortPayloads() {
        assertRefused(ByteBuffer.allocate(6).putInt(0x53555057).putShort((short) 1).array(),
                "bad hello magic 0x53555057 (expected 0x53555056 \"SUPV\")");
        assertRefused(ByteBuffer.allocate(6).putInt(Hello.MAGIC).putShort((short) 2).array(),
                "unsupported protocol version 2 (this side speaks 1)");
        assertRefused(ByteBuffer.allocate(6).putInt(Hello.MAGIC).putShort((short) 0xFFFF).array(),
                "unsupported protocol version 65535 (this side speaks 1)");
        assertRefused(new byte[] {'S', 'U', 'P'},
                "hello payload of 3 bytes is shorter than magic and version (6 bytes)");
    }

    @Test
    void refusesMalformedLines() {
        assertRefused(payload("pid=1\nnonsense\n"), "hello line 2 is not key=value: 'nonsense'");
        assertRefused(payload("=value\n"), "hello line 1 is not key=value: '=value'");
        assertRefused(payload("pid=1\npid=2\n"), "hello key 'pid' appears twice");
    }

    @Test
    void acceptsAMissingFinalNewlineAndBlankLines() throws ProtocolException {
        assertEquals(Map.of("a", "1", "b", "2"), Hello.decode(payload("a=1\n\nb=2")).properties());
    }

    @Test
    void refusesKeysAndValuesThatCannotBeEncoded() {
        assertThrows(IllegalArgumentException.class, () -> Hello.of(Map.of("a=b", "c")));
        assertThrows(IllegalArgumentException.class, () -> Hello.of(Map.of("a", "line\nbreak")));
        assertThrows(IllegalArgumentException.class, () -> Hello.of(Map.of("", "x")));
    }

    private static byte[] payload(String text) {
        byte[] lines = text.getBytes(UTF_8);
        return ByteBuffer.allocate(6 + lines.length).putInt(Hello.MAGIC).putShort((short) 1).put(lines).array();
    }

    private static void assertRefused(byte[] payload, String message) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Hello.decode(payload));
        assertEquals(message, e.getMessage());
    }
}
