package supervisor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import supervisor.worker.protocol.ProtocolException;

class WorkerConfigTest {

    @Test
    void defaultsWhenNothingIsSet() throws ProtocolException {
        assertEquals(new WorkerConfig("", 67108864, 1000, OptionalInt.empty()), WorkerConfig.from(Map.of()));
    }

    @Test
    void readsEveryVariable() throws ProtocolException {
        assertEquals(new WorkerConfig("w3", 4096, 0, OptionalInt.of(3)), WorkerConfig.from(Map.of(
                "SUPERVISOR_WORKER_ID", "w3", "SUPERVISOR_MAX_FRAME", "4096",
                "SUPERVISOR_HEARTBEAT_MS", "0", "SUPERVISOR_PROTOCOL_FD", "3")));
    }

    @Test
    void namesTheVariableAndRangeOfABadValue() {
        assertRefused(Map.of("SUPERVISOR_MAX_FRAME", "100"),
                "SUPERVISOR_MAX_FRAME=100 is not an integer in 1024..2147483583");
        assertRefused(Map.of("SUPERVISOR_HEARTBEAT_MS", "-1"),
                "SUPERVISOR_HEARTBEAT_MS=-1 is not an integer in 0..9223372036854775807");
        assertRefused(Map.of("SUPERVISOR_PROTOCOL_FD", "1"),
                "SUPERVISOR_PROTOCOL_FD=1 is not an integer in 3..2147483647");
    }

    private static void assertRefused(Map<String, String> env, String message) {
        assertEquals(message, assertThrows(ProtocolException.class, () -> WorkerConfig.from(env)).getMessage());
    }
}
