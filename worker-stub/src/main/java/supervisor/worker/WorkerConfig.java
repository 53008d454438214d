package supervisor.worker;

import java.util.Map;
import java.util.OptionalInt;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.ProtocolException;

/**
 * The settings the supervisor passes in environment variables.
 *
 * @param workerId SUPERVISOR_WORKER_ID, "" when unset
 * @param maxFrameLength SUPERVISOR_MAX_FRAME, the largest frame length field in either direction
 * @param heartbeatMillis SUPERVISOR_HEARTBEAT_MS, 0 for no heartbeat
 * @param protocolFd SUPERVISOR_PROTOCOL_FD, empty when unset (protocol output then goes to fd 1)
 */
record WorkerConfig(String workerId, int maxFrameLength, long heartbeatMillis, OptionalInt protocolFd) {
    static final String WORKER_ID = "SUPERVISOR_WORKER_ID";
    static final String MAX_FRAME = "SUPERVISOR_MAX_FRAME";
    static final String HEARTBEAT_MS = "SUPERVISOR_HEARTBEAT_MS";
    static final String PROTOCOL_FD = "SUPERVISOR_PROTOCOL_FD";

    static final long DEFAULT_HEARTBEAT_MILLIS = 1000;

    /** @throws ProtocolException naming the variable and its bad value */
    static WorkerConfig from(Map<String, String> env) throws ProtocolException {
        String workerId = env.getOrDefault(WORKER_ID, "");
        long maxFrame = number(env, MAX_FRAME, Frame.DEFAULT_MAX_LENGTH,
                Frame.MIN_MAX_LENGTH, Frame.MAX_MAX_LENGTH);
        long heartbeat = number(env, HEARTBEAT_MS, DEFAULT_HEARTBEAT_MILLIS, 0, Long.MAX_VALUE);
        OptionalInt protocolFd = env.containsKey(PROTOCOL_FD)
                // 0, 1 and 2 are where a task's own I/O goes; the channel must be elsewhere.
                ? OptionalInt.of((int) number(env, PROTOCOL_FD, 0, 3, Integer.MAX_VALUE))
                : OptionalInt.empty();
        return new WorkerConfig(workerId, (int) maxFrame, heartbeat, protocolFd);
    }

    private static long number(Map<String, String> env, String name, long absent, long min, long max)
            throws ProtocolException {
        String text = env.get(name);
        if (text == null) {
            return absent;
        }
        try {
            long value = Long.parseLong(text.trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below with the range
        }
        throw new ProtocolException(name + "=" + text + " is not an integer in " + min + ".." + max);
    }
}
