package supervisor.ztexec;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.zeroturnaround.exec.ProcessExecutor;
import supervisor.testing.Procs;

/** zt-exec's timeout, with the stopper that takes the whole tree down. */
class TreeProcessStopperTest {
    @Test
    void aTimedOutCommandLeavesNoGrandchildNorEscapee() throws Exception {
        TreeProcessStopper stopper = new TreeProcessStopper(Duration.ofMillis(300));
        String env = stopper.markerVariable() + "=" + stopper.marker();
        assertThrows(TimeoutException.class, () -> new ProcessExecutor()
                .command("sh", "-c", "trap '' TERM; sleep 1051 & (setsid sleep 1052 &); sleep 1053")
                .environment(stopper.markerVariable(), stopper.marker())
                .timeout(1, TimeUnit.SECONDS).stopper(stopper).execute());
        Procs.assertNoneLeft(env, Duration.ofSeconds(5));
        // zt-exec may run the stopper after it has thrown; the report comes when the kill ends.
        supervisor.testing.Await.until(Duration.ofSeconds(10), "the stopper's report", () -> stopper.lastReport() != null);
        assertTrue(stopper.lastReport().complete(), String.valueOf(stopper.lastReport()));
        assertTrue(stopper.lastReport().killed() >= 2, String.valueOf(stopper.lastReport()));
    }
}
