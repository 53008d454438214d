package supervisor.worker.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One protocol frame: a type, a callId (0 for frames not about a call) and a payload.
 *
 * <p>On the wire: {@code u32 length | u8 type | u64 callId | payload}, big-endian, where
 * {@code length = 9 + payload.length}. The constructor enforces the shape rules of the type
 * (callId zero or non-zero, fixed payload lengths), so a {@code Frame} that exists is well formed.
 *
 * <p>The payload array is not copied: do not modify it after building a frame. Equality compares
 * the payload's contents.
 *
 * @param type the frame type, never null
 * @param callId the call this frame is about, or 0; an unsigned 64-bit value
 * @param payload the payload bytes, never null (empty for no payload)
 */
public record Frame(FrameType type, long callId, byte[] payload) {
    /** Bytes counted by the length field before the payload: the type (1) and the callId (8). */
    public static final int HEADER_LENGTH = 9;
    /** The default maximum of the length field: 64 MiB, used when SUPERVISOR_MAX_FRAME is unset. */
    public static final int DEFAULT_MAX_LENGTH = 64 * 1024 * 1024;
    /** The smallest maximum a reader or writer accepts; HELLO and error frames must fit. */
    public static final int MIN_MAX_LENGTH = 1024;
    /** The largest maximum a reader or writer accepts; keeps a whole frame within one Java array. */
    public static final int MAX_MAX_LENGTH = Integer.MAX_VALUE - 64;

    private static final byte[] EMPTY = new byte[0];

    /** @throws IllegalArgumentException if callId or payload length break the rules of the type */
    public Frame {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(payload, "payload");
        String problem = type.shapeProblem(callId, payload.length);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    public static Frame hello(Hello hello) {
        return new Frame(FrameType.HELLO, 0, hello.encode());
    }

    public static Frame ready() {
        return new Frame(FrameType.READY, 0, EMPTY);
    }

    public static Frame fatal(ErrorPayload error) {
        return new Frame(FrameType.FATAL, 0, error.encode());
    }

    public static Frame call(long callId, byte[] input) {
        return new Frame(FrameType.CALL, callId, input);
    }

    /** A RESULT frame; a null output is sent as an empty payload. */
    public static Frame result(long callId, byte[] output) {
        return new Frame(FrameType.RESULT, callId, output == null ? EMPTY : output);
    }

    public static Frame error(long callId, ErrorPayload error) {
        return new Frame(FrameType.ERROR, callId, error.encode());
    }

    public static Frame cancel(long callId) {
        return new Frame(FrameType.CANCEL, callId, EMPTY);
    }

    /** A STACK frame: the call thread's stack when the CANCEL of {@code callId} arrived. */
    public static Frame stack(long callId, byte[] stackPayload) {
        return new Frame(FrameType.STACK, callId, stackPayload);
    }

    /** A HEARTBEAT frame carrying the number of calls the worker has completed so far. */
    public static Frame heartbeat(long completedCalls) {
        return new Frame(FrameType.HEARTBEAT, 0, ByteBuffer.allocate(8).putLong(completedCalls).array());
    }

    public static Frame shutdown() {
        return new Frame(FrameType.SHUTDOWN, 0, EMPTY);
    }

    /**
     * The count a HEARTBEAT frame carries.
     *
     * @throws IllegalStateException if this is not a HEARTBEAT frame
     */
    public long completedCalls() {
        if (type != FrameType.HEARTBEAT) {
            throw new IllegalStateException("completedCalls() of a " + type + " frame");
        }
        return ByteBuffer.wrap(payload).getLong();
    }

    /** The value of the length field: {@value #HEADER_LENGTH} plus the payload length. */
    public long length() {
        return (long) HEADER_LENGTH + payload.length;
    }

    /** Checks a maximum frame length given to a reader or writer. */
    static int checkMaxLength(int maxLength) {
        if (maxLength < MIN_MAX_LENGTH || maxLength > MAX_MAX_LENGTH) {
            throw new IllegalArgumentException("maximum frame length " + maxLength + " is outside "
                    + MIN_MAX_LENGTH + ".." + MAX_MAX_LENGTH);
        }
        return maxLength;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Frame that
                && type == that.type
                && callId == that.callId
                && Arrays.equals(payload, that.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, callId, Arrays.hashCode(payload));
    }

    /** Type, callId and payload size; never the payload, which may be large or binary. */
    @Override
    public String toString() {
        String call = type.isAboutACall() ? " call " + Long.toUnsignedString(callId) : "";
        return type + call + " (" + payload.length + " payload bytes)";
    }
}
