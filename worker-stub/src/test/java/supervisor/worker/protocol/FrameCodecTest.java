package supervisor.worker.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** FrameReader and FrameWriter: round trips, and every way a byte stream can be refused. */
class FrameCodecTest {
    private static final int MAX = 4096;

    @Test
    void everyFrameTypeRoundTrips() throws IOException {
        List<Frame> frames = List.of(
                Frame.hello(Hello.of(Map.of("pid", "42"))),
                Frame.ready(),
                Frame.fatal(new ErrorPayload(false, "x.Y", null, "trace")),
                Frame.call(1, "in".getBytes(UTF_8)),
                Frame.call(-1L, new byte[0]),
                Frame.result(1, null),
                Frame.result(Long.MIN_VALUE, new byte[] {0, 1, 2, (byte) 255}),
                Frame.error(2, new ErrorPayload(true, "x.Z", "m", "t")),
                Frame.cancel(3),
                Frame.heartbeat(17),
                Frame.shutdown());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(bytes, MAX);
        for (Frame frame : frames) {
            writer.write(frame);
        }
        FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes.toByteArray()), MAX);
        List<Frame> read = new ArrayList<>();
        for (Frame frame; (frame = reader.read()) != null; ) {
            read.add(frame);
        }
        assertEquals(frames, read);
        assertEquals(17, read.get(9).completedCalls());
    }

    @Test
    void heldFramesGoOutWithTheNextWriteInOrderAndABatchIsOneWrite() throws IOException {
        List<Integer> writes = new ArrayList<>();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                writes.add(len);
                super.write(b, off, len);
            }
        };
        FrameWriter writer = new FrameWriter(bytes, MAX);
        writer.hold(Frame.result(1, "a".getBytes(UTF_8)));
        writer.hold(Frame.result(2, "b".getBytes(UTF_8)));
        assertEquals(0, bytes.size(), "held, not written");
        writer.write(Frame.stack(3, new byte[0]));
        writer.flush(); // nothing held: nothing written
        writer.writeAll(List.of(Frame.call(4, new byte[0]), Frame.call(5, new byte[0])));
        assertEquals(List.of(3 * 13 + 2, 2 * 13), writes);
        FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes.toByteArray()), MAX);
        for (long id = 1; id <= 5; id++) {
            assertEquals(id, reader.read().callId());
        }
        assertNull(reader.read());
    }

    @Test
    void writesTheDocumentedBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new FrameWriter(bytes, MAX).write(Frame.call(0x0102030405060708L, new byte[] {(byte) 0xAB}));
        assertArrayEquals(new byte[] {0, 0, 0, 10, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, (byte) 0xAB},
                bytes.toByteArray());
    }

    @Test
    void aFrameOfExactlyTheMaximumLengthPasses() throws IOException {
        Frame frame = Frame.result(1, new byte[MAX - Frame.HEADER_LENGTH]);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new FrameWriter(bytes, MAX).write(frame);
        assertEquals(frame, new FrameReader(new ByteArrayInputStream(bytes.toByteArray()), MAX).read());
    }

    @Test
    void theWriterRefusesAnOversizedFrameAndWritesNothing() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(bytes, MAX);
        assertEquals(MAX - 9, writer.maxPayloadLength());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> writer.write(Frame.call(1, new byte[MAX - 8])));
        assertEquals("CALL call 1 (4088 payload bytes): frame length 4097 exceeds the maximum 4096",
                e.getMessage());
        assertEquals(0, bytes.size());
    }

    @Test
    void concurrentWritersNeverInterleaveFrames() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(bytes, MAX);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 1; t <= 4; t++) {
            long callId = t;
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < 500; i++) {
                        writer.write(Frame.result(callId, new byte[(int) callId * 100]));
                    }
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes.toByteArray()), MAX);
        int count = 0;
        for (Frame frame; (frame = reader.read()) != null; count++) {
            assertEquals(frame.callId() * 100, frame.payload().length);
        }
        assertEquals(2000, count);
    }

    @Test
    void anEmptyStreamIsACleanEnd() throws IOException {
        assertNull(new FrameReader(new ByteArrayInputStream(new byte[0]), MAX).read());
    }

    @Test
    void refusesALengthBelowNine() {
        assertRefused(header(8, 0x10, 1), "frame length 8 is below the minimum 9 (type and callId)");
        assertRefused(header(0, 0x10, 1), "frame length 0 is below the minimum 9 (type and callId)");
    }

    @Test
    void refusesAnOversizedLengthAfterReadingOnlyTheLengthField() {
        byte[] bytes = header(Integer.MAX_VALUE, 0x10, 1);
        ByteArrayInputStream in = new ByteArrayInputStream(bytes);
        ProtocolException e = assertThrows(ProtocolException.class, () -> new FrameReader(in, MAX).read());
        assertEquals("frame length 2147483647 exceeds the maximum 4096", e.getMessage());
        assertEquals(bytes.length - 4, in.available(), "bytes left unread");

        assertRefused(header(-1, 0x10, 1), "frame length 4294967295 exceeds the maximum 4096");
    }

    @Test
    void aLengthThatPromisesMoreThanArrivesDoesNotAllocateThePromise() {
        // Allowed by the largest maximum, but 2 GB would not fit in the test JVM's heap (-Xmx in
        // the pom): the reader must fail on the missing bytes, not on memory.
        byte[] bytes = ByteBuffer.allocate(4 + 9 + 10)
                .putInt(Frame.MAX_MAX_LENGTH).put((byte) 0x10).putLong(1).array();
        FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes), Frame.MAX_MAX_LENGTH);
        ProtocolException e = assertThrows(ProtocolException.class, reader::read);
        assertEquals("stream ended after 10 of " + (Frame.MAX_MAX_LENGTH - 9)
                + " payload bytes of a CALL frame", e.getMessage());
    }

    @Test
    void refusesAnUnknownType() {
        assertRefused(header(9, 0x7f, 0), "unknown frame type 0x7f");
        assertRefused(header(9, 0x00, 0), "unknown frame type 0x00");
    }

    @Test
    void refusesFramesThatBreakTheirTypesShape() {
        assertRefused(header(9, 0x10, 0), "CALL frame has callId 0; call ids must be non-zero");
        assertRefused(header(9, 0x02, 5), "READY frame has callId 5; it must be 0");
        assertRefused(header(10, 0x13, 5), "CANCEL frame has a payload of 1 bytes; it must have 0");
        assertRefused(header(9, 0x20, 0), "HEARTBEAT frame has a payload of 0 bytes; it must have 8");
    }

    @Test
    void refusesTruncatedFrames() {
        assertRefused(new byte[] {0, 0}, "stream ended after 2 of 4 length bytes of a frame");
        assertRefused(Arrays.copyOf(header(20, 0x10, 1), 8), "stream ended after 4 of 9 header bytes of a frame");
        assertRefused(header(20, 0x10, 1), "stream ended after 0 of 11 payload bytes of a CALL frame");
    }

    @Test
    void framesRefuseBadShapesAtConstruction() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Frame.call(0, new byte[0]));
        assertEquals("CALL frame has callId 0; call ids must be non-zero", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Frame(FrameType.SHUTDOWN, 0, new byte[1]));
        assertThrows(IllegalStateException.class, () -> Frame.ready().completedCalls());
        assertThrows(IllegalArgumentException.class, () -> new FrameReader(new ByteArrayInputStream(new byte[0]), 100));
    }

    @Test
    void toStringNamesTypeCallAndSizeButNotThePayload() {
        assertEquals("RESULT call 18446744073709551615 (3 payload bytes)",
                Frame.result(-1L, new byte[3]).toString());
        assertEquals("READY (0 payload bytes)", Frame.ready().toString());
        assertTrue(Frame.call(1, new byte[] {1}).equals(Frame.call(1, new byte[] {1})));
    }

    private static void assertRefused(byte[] bytes, String message) {
        FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes), MAX);
        ProtocolException e = assertThrows(ProtocolException.class, reader::read);
        assertEquals(message, e.getMessage());
    }

    /** A length field, a type and a callId, and nothing after. */
    private static byte[] header(int length, int type, long callId) {
        return ByteBuffer.allocate(13).putInt(length).put((byte) type).putLong(callId).array();
    }
}
