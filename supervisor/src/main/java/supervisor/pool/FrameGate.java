package supervisor.pool;

import supervisor.worker.protocol.FrameReader;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.StackPayload;

/**
 * What a worker may send next, decided on each frame's header before its payload is read: HELLO
 * first, then READY or FATAL; after READY an answer (RESULT, ERROR) only for the call that runs
 * (the first sent and not answered: a worker answers in order), a STACK only for a call sent and
 * not answered; HEARTBEAT at any time. Anything else is a
 * protocol error at once, its payload never read nor allocated, so a worker cannot make this JVM
 * hold a payload that no call waits for (a near-maximum RESULT of a call that is not running).
 */
final class FrameGate implements FrameReader.HeaderCheck {
    private final InFlight calls;
    private boolean hello; // reader thread only
    private boolean ready; // reader thread only

    FrameGate(InFlight calls) {
        this.calls = calls;
    }

    @Override
    public String problem(FrameType type, long callId, int payloadLength) {
        switch (type) {
            case HEARTBEAT:
                return null;
            case HELLO:
                if (hello) {
                    return "sent a second HELLO";
                }
                hello = true;
                return null;
            case READY:
            case FATAL:
                if (!hello) {
                    return "sent " + type + " before HELLO";
                }
                if (ready) {
                    return "sent " + type + " after READY";
                }
                ready = type == FrameType.READY;
                return null;
            case RESULT:
            case ERROR:
            case STACK:
                long running = calls.expected();
                boolean allowed = type == FrameType.STACK ? calls.has(callId) : running == callId;
                if (!ready || running == 0 || !allowed) {
                    return "sent " + type + " (" + payloadLength + " payload bytes) for call "
                            + Long.toUnsignedString(callId) + " while " + (running == 0 ? "no call"
                            : "call " + Long.toUnsignedString(running)) + " was running";
                }
                if (type == FrameType.STACK) {
                    return payloadLength > StackPayload.MAX_BYTES ? "sent a STACK of " + payloadLength
                            + " bytes; at most " + StackPayload.MAX_BYTES + " are allowed" : null;
                }
                return null; // one answer per call: the reader takes the call off before it reads the next frame
            default:
                return "sent " + type + ", which only the supervisor sends";
        }
    }
}
