package supervisor.worker.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The STACK payload: the documented lines, round trips, bounds, and what is refused. */
class StackPayloadTest {

    @Test
    void writesTheDocumentedLinesAndReadsThemBack() throws ProtocolException {
        List<StackTraceElement> frames = List.of(
                new StackTraceElement("tasks.Decoder", "spinInDecode", "Decoder.java", 12),
                new StackTraceElement("java.lang.Object", "wait", null, -2),
                new StackTraceElement("Gen$$Lambda$14/0x0000000800c03000", "run", null, -1),
                new StackTraceElement("a.B$C", "<init>", "B.kt", -1),
                new StackTraceElement("a.B", "odd", "weird:name.java", 7));
        byte[] payload = new StackPayload(frames).encode(Frame.DEFAULT_MAX_LENGTH);
        assertEquals("at tasks.Decoder.spinInDecode(Decoder.java:12)\n"
                + "at java.lang.Object.wait(Native Method)\n"
                + "at Gen$$Lambda$14/0x0000000800c03000.run(Unknown Source)\n"
                + "at a.B$C.<init>(B.kt)\n"
                + "at a.B.odd(weird:name.java:7)\n", new String(payload, UTF_8));
        assertEquals(frames, StackPayload.decode(payload).frames());
        assertEquals(List.of(), StackPayload.decode(new byte[0]).frames(), "no frames: the call had not started");
    }

    @Test
    void aRealStackRoundTrips() throws ProtocolException {
        StackTraceElement[] stack = Thread.currentThread().getStackTrace();
        StackPayload decoded = StackPayload.decode(StackPayload.of(stack).encode(Frame.DEFAULT_MAX_LENGTH));
        List<StackTraceElement> expected = new ArrayList<>();
        for (StackTraceElement e : Arrays.copyOf(stack, Math.min(stack.length, StackPayload.MAX_FRAMES))) {
            // The payload carries no class loader, module, or file of a native method, as toString().
            expected.add(new StackTraceElement(e.getClassName(), e.getMethodName(),
                    e.isNativeMethod() ? null : e.getFileName(), e.getLineNumber()));
        }
        assertEquals(expected, decoded.frames());
    }

    @Test
    void keepsTheTopFramesWithinItsBounds() throws ProtocolException {
        StackTraceElement[] deep = new StackTraceElement[1000];
        for (int i = 0; i < deep.length; i++) {
            deep[i] = new StackTraceElement("deep.Recursion", "level" + i, "Recursion.java", i);
        }
        List<StackTraceElement> kept = StackPayload.decode(StackPayload.of(deep).encode(Frame.DEFAULT_MAX_LENGTH)).frames();
        assertEquals(Arrays.asList(deep).subList(0, StackPayload.MAX_FRAMES), kept);

        byte[] small = StackPayload.of(deep).encode(1015); // the smallest frame maximum allows 1015 bytes
        assertTrue(small.length <= 1015, small.length + " bytes");
        List<StackTraceElement> top = StackPayload.decode(small).frames();
        assertEquals(Arrays.asList(deep).subList(0, top.size()), top, "the top frames, in order");
        assertTrue(top.size() >= 20, top.size() + " frames");

        StackTraceElement huge = new StackTraceElement("x".repeat(40_000), "m", null, -1);
        assertArrayEquals(new byte[0], new StackPayload(List.of(huge, deep[0])).encode(Frame.DEFAULT_MAX_LENGTH),
                "a frame that does not fit leaves out the frames below it");
        assertTrue(StackPayload.of(deep).encode(Integer.MAX_VALUE).length <= StackPayload.MAX_BYTES);
    }

    @Test
    void refusesLinesThatAreNotFrames() {
        for (String bad : new String[] {"at x.y(Z.java:1)", "x.y(Z.java:1)\n", "at xy(Z.java:1)\n", "at x.y Z.java:1\n",
                "at .y(Z.java)\n", "at x.(Z.java)\n", "at x.y(Z.java:1)\n\n", "\n"}) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> StackPayload.decode(bad.getBytes(UTF_8)),
                    bad);
            assertTrue(e.getMessage().startsWith("stack"), e.getMessage());
        }
    }

    @Test
    void refusesAPayloadOverItsBoundsWhoeverSentIt() throws ProtocolException {
        String line = "at x.y(Z.java:1)\n";
        assertEquals(StackPayload.MAX_FRAMES, StackPayload.decode(line.repeat(StackPayload.MAX_FRAMES).getBytes(UTF_8))
                .frames().size());
        ProtocolException frames = assertThrows(ProtocolException.class,
                () -> StackPayload.decode(line.repeat(StackPayload.MAX_FRAMES + 1).getBytes(UTF_8)));
        assertTrue(frames.getMessage().contains("65 frames"), frames.getMessage());
        byte[] big = ("at x.y(" + "Z".repeat(StackPayload.MAX_BYTES) + ")\n").getBytes(UTF_8);
        ProtocolException bytes = assertThrows(ProtocolException.class, () -> StackPayload.decode(big));
        assertTrue(bytes.getMessage().startsWith("stack payload of " + big.length + " bytes"), bytes.getMessage());
    }
}
