package supervisor.worker.protocol;

/**
 * The frame types of protocol version 1, with their wire codes and the shape each type must have.
 * See docs/protocol.md for directions and meanings. STACK is a compatible addition: a worker sends
 * it only to a supervisor whose HELLO asked for it ({@link Hello#STACK_ON_CANCEL}).
 */
public enum FrameType {
    HELLO(0x01, false),
    READY(0x02, false, 0),
    FATAL(0x03, false),
    CALL(0x10, true),
    RESULT(0x11, true),
    ERROR(0x12, true),
    CANCEL(0x13, true, 0),
    STACK(0x14, true),
    HEARTBEAT(0x20, false, 8),
    SHUTDOWN(0x30, false, 0);

    private static final int ANY_LENGTH = -1;

    private final int code;
    private final boolean aboutACall;
    private final int fixedPayloadLength;

    FrameType(int code, boolean aboutACall) {
        this(code, aboutACall, ANY_LENGTH);
    }

    FrameType(int code, boolean aboutACall, int fixedPayloadLength) {
        this.code = code;
        this.aboutACall = aboutACall;
        this.fixedPayloadLength = fixedPayloadLength;
    }

    /** The byte that identifies this type on the wire. */
    public int code() {
        return code;
    }

    /** True if frames of this type carry a non-zero callId; false if their callId must be 0. */
    public boolean isAboutACall() {
        return aboutACall;
    }

    /**
     * The type whose wire code is {@code code}.
     *
     * @throws ProtocolException if no type of protocol version 1 has that code
     */
    public static FrameType fromCode(int code) throws ProtocolException {
        for (FrameType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw new ProtocolException(String.format("unknown frame type 0x%02x", code));
    }

    /**
     * Checks the callId and payload length against the rules of this type.
     *
     * @return null if they fit, otherwise a message naming the problem
     */
    String shapeProblem(long callId, long payloadLength) {
        if (aboutACall && callId == 0) {
            return this + " frame has callId 0; call ids must be non-zero";
        }
        if (!aboutACall && callId != 0) {
            return this + " frame has callId " + Long.toUnsignedString(callId) + "; it must be 0";
        }
        if (fixedPayloadLength != ANY_LENGTH && payloadLength != fixedPayloadLength) {
            return this + " frame has a payload of " + payloadLength + " bytes; it must have "
                    + fixedPayloadLength;
        }
        return null;
    }
}
