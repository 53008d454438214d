package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;

/** The liveness check against this JVM itself: no process is started. */
class LivenessTest {
    private final ProcessId self = ProcFs.id((int) ProcessHandle.current().pid()).orElseThrow();

    @Test
    void thisRunningProcessIsRunningAndNotStopped() {
        assertTrue(Liveness.running(self));
        assertFalse(Liveness.stopped(self));
    }

    @Test
    void aPidWithAnotherStartTimeIsAnotherProcessAndNotThisOne() {
        ProcessId reused = new ProcessId(self.pid(), self.startTime() + 1);
        assertFalse(Liveness.running(reused));
        assertFalse(Liveness.stopped(reused));
    }

    @Test
    void noProcessIsNeitherRunningNorStopped() {
        assertFalse(Liveness.running(null));
        assertFalse(Liveness.stopped(null));
    }
}
