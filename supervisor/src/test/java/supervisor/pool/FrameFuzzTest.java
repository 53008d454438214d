package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameReader;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;

/**
 * Fuzzes the frame codec and the supervisor-side reader (a {@link FrameReader} over the pool's
 * {@link BoundaryStream}): random, truncated, oversize and mutated frames. Nothing may escape but a
 * {@link ProtocolException}; a well-formed frame reads back equal; a length field never costs more
 * memory than the bytes that arrived. Seeded: {@code -Dfuzz.seed=N} replays a run.
 */
class FrameFuzzTest {
    private static final long SEED = Long.getLong("fuzz.seed", 0x5eed_f00dL);
    private static final int FRAMES = Integer.getInteger("fuzz.frames", 1_000_000);
    private static final int MAX = 4096;
    private static final FrameType[] TYPES = FrameType.values();

    @Test
    void aMillionRandomTruncatedOversizeAndMutatedFrames() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED);
        long wellFormed = 0;
        long refused = 0;
        long streams = 0;
        int frames = 0;
        while (frames < FRAMES) {
            // A stream of up to 32 frames, each well formed or damaged in one of several ways.
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            FrameWriter writer = new FrameWriter(wire, MAX);
            int n = 1 + random.nextInt(32);
            Frame[] sent = new Frame[n];
            boolean damaged = false;
            for (int i = 0; i < n; i++, frames++) {
                Frame f = randomFrame(random);
                int how = random.nextInt(10);
                if (how < 6 || damaged) {
                    writer.write(f);
                    sent[i] = f;
                } else {
                    wire.write(damage(random, encode(f), how));
                    damaged = true;
                }
            }
            streams++;
            FrameReader reader = new FrameReader(new BoundaryStream(new ByteArrayInputStream(wire.toByteArray())), MAX);
            try {
                for (int i = 0; ; i++) {
                    Frame got = reader.read();
                    if (got == null) {
                        break;
                    }
                    if (i < n && sent[i] != null && !damagedBefore(sent, i)) {
                        assertEquals(sent[i], got, "seed " + SEED);
                    }
                    wellFormed++;
                }
            } catch (ProtocolException e) {
                refused++;
            } catch (IOException | RuntimeException | Error e) {
                fail("seed " + SEED + ", stream " + streams + ": " + e, e);
            }
        }
        System.out.printf("frame fuzz (seed %d): %d frames in %d streams: %d read back, %d streams refused%n",
                SEED, frames, streams, wellFormed, refused);
        assertTrue(frames >= 1_000_000 || FRAMES < 1_000_000);
        assertTrue(refused > 0 && wellFormed > 0);
    }

    private static boolean damagedBefore(Frame[] sent, int i) {
        for (int j = 0; j <= i; j++) {
            if (sent[j] == null) {
                return true;
            }
        }
        return false;
    }

    @Test
    void payloadDecodersRefuseGarbageWithProtocolErrorsOnly() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        int refused = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] payload = new byte[random.nextInt(64)];
            random.nextBytes(payload);
            if (random.nextBoolean() && payload.length >= 13) {
                // plausible lengths, so that the decoders get past the first check
                ByteBuffer.wrap(payload).put((byte) 0).putInt(random.nextInt(8)).putInt(random.nextInt(8));
            }
            try {
                if (i % 2 == 0) {
                    ErrorPayload.decode(payload);
                } else {
                    Hello.decode(payload);
                }
            } catch (ProtocolException e) {
                refused++;
            } catch (RuntimeException | Error e) {
                fail("seed " + SEED + ", payload " + i + ": " + e, e);
            }
        }
        assertTrue(refused > 0);
    }

    @Test
    void aLengthFieldCostsNoMoreMemoryThanTheBytesThatArrived() throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        SplittableRandom random = new SplittableRandom(SEED + 2);
        int max = 64 << 20;
        for (int i = 0; i < 2000; i++) {
            int arrived = random.nextInt(4096);
            ByteBuffer b = ByteBuffer.allocate(13 + arrived).putInt(max - random.nextInt(1000))
                    .put((byte) FrameType.RESULT.code()).putLong(1 + random.nextInt(1000));
            FrameReader reader = new FrameReader(new BoundaryStream(new ByteArrayInputStream(b.array())), max);
            long before = threads.getCurrentThreadAllocatedBytes();
            try {
                reader.read();
                fail("a truncated frame was accepted");
            } catch (ProtocolException expected) {
                // stream ended inside a frame
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 1024 * 1024, "a frame announcing " + max + " bytes with " + arrived
                    + " arrived cost " + allocated + " bytes");
        }
    }

    private static Frame randomFrame(SplittableRandom r) {
        FrameType type = TYPES[r.nextInt(TYPES.length)];
        long callId = type.isAboutACall() ? 1 + r.nextLong(Long.MAX_VALUE) : 0;
        byte[] payload;
        switch (type) {
            case READY, CANCEL, SHUTDOWN -> payload = new byte[0];
            case HEARTBEAT -> payload = ByteBuffer.allocate(8).putLong(r.nextLong()).array();
            case HELLO -> payload = Hello.of(Map.of("k" + r.nextInt(10), "v" + r.nextInt())).encode();
            case FATAL, ERROR -> payload = new ErrorPayload(r.nextBoolean(), "x.E" + r.nextInt(100),
                    r.nextBoolean() ? null : "m" + r.nextInt(), "trace").encode();
            default -> {
                payload = new byte[r.nextInt(r.nextInt(8) == 0 ? MAX - 9 : 64)];
                r.nextBytes(payload);
            }
        }
        return new Frame(type, callId, payload);
    }

    private static byte[] encode(Frame f) {
        return ByteBuffer.allocate(4 + (int) f.length()).putInt((int) f.length()).put((byte) f.type().code())
                .putLong(f.callId()).put(f.payload()).array();
    }

    private static byte[] damage(SplittableRandom r, byte[] frame, int how) {
        switch (how) {
            case 6: // truncated anywhere
                return Arrays.copyOf(frame, r.nextInt(frame.length));
            case 7: { // an oversize or undersize length field
                int[] lengths = {0, 8, MAX + 1, Integer.MAX_VALUE, -1, MAX + r.nextInt(1 << 20)};
                ByteBuffer.wrap(frame).putInt(lengths[r.nextInt(lengths.length)]);
                return frame;
            }
            case 8: { // mutated bytes
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    frame[r.nextInt(frame.length)] ^= (byte) (1 + r.nextInt(255));
                }
                return frame;
            }
            default: { // random bytes
                byte[] junk = new byte[r.nextInt(64)];
                r.nextBytes(junk);
                return junk;
            }
        }
    }
}
