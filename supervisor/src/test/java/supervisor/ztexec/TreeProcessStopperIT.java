package supervisor.ztexec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.zeroturnaround.exec.ProcessExecutor;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/** zt-exec's timeout, with the stopper that takes the whole tree down. */
class TreeProcessStopperIT {
    private final String id = "SUPERVISOR_TEST_ID=" + UUID.randomUUID();

    @AfterEach
    void nothingLeftBehind() {
        Procs.assertNoneLeft(id, Duration.ofSeconds(5));
    }

    @Test
    void aTimedOutCommandLeavesNoGrandchildNorEscapee() throws Exception {
        TreeProcessStopper stopper = new TreeProcessStopper(Duration.ofMillis(300));
        String env = stopper.markerVariable() + "=" + stopper.marker();
        assertTrue(stopper.marker().matches("sv-[0-9a-f]{16}"), "the one marker format: " + stopper.marker());
        assertThrows(TimeoutException.class, () -> new ProcessExecutor()
                .command("env", id, "sh", "-c", "trap '' TERM; sleep 1051 & (setsid sleep 1052 &); sleep 1053")
                .environment(stopper.markerVariable(), stopper.marker())
                .timeout(1, TimeUnit.SECONDS).stopper(stopper).execute());
        // zt-exec may run the stopper after it has thrown; the report comes when the kill ends.
        // The check for leftovers waits for it: on a loaded machine the stop itself (adopting
        // the process, SIGTERM, the grace, SIGKILL) took longer than the check's 5 s.
        Await.until(Duration.ofSeconds(10), "the stopper's report", () -> stopper.lastReport() != null);
        Procs.assertNoneLeft(env, Duration.ofSeconds(5));
        assertTrue(stopper.lastReport().complete(), String.valueOf(stopper.lastReport()));
        assertTrue(stopper.lastReport().killed() >= 2, String.valueOf(stopper.lastReport()));
    }

    /**
     * Forks that hide in the command's first milliseconds (they leave its session and clear their
     * environment, so no marker finds them), then the command hangs into its timeout; and the same
     * forks from a command that ends at once, which zt-exec never stops. 20 rounds each.
     */
    @Test
    void ztExec_hidingForksNeverSurvive() throws Exception {
        String hide = "env -i setsid sleep 1013 & (env -i setsid sleep 1014 &); ";
        for (int i = 0; i < 20; i++) {
            TreeProcessStopper stopper = new TreeProcessStopper(Duration.ofMillis(100));
            assertThrows(TimeoutException.class, () -> stopper.applyTo(new ProcessExecutor()
                    .command("env", id, "sh", "-c", hide + "exec sleep 1015").timeout(300, TimeUnit.MILLISECONDS))
                    .execute());
            Await.until(Duration.ofSeconds(10), "the stopper's report", () -> stopper.lastReport() != null);
            assertNoSurvivors("timed out, round " + i);

            TreeProcessStopper quick = new TreeProcessStopper(Duration.ofMillis(100));
            assertEquals(0, quick.applyTo(new ProcessExecutor().command("env", id, "sh", "-c", hide + "exit 0")
                    .timeout(30, TimeUnit.SECONDS)).execute().getExitValue());
            assertNoSurvivors("ended at once, round " + i);
        }
    }

    /** The kill is over before execute returns or the report is out: survivors are checked at once. */
    private static void assertNoSurvivors(String what) {
        for (String hidden : List.of("sleep 1013", "sleep 1014", "sleep 1015")) {
            List<ProcStat> left = Procs.withCmdline(hidden);
            left.forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
            assertEquals(List.of(), left, what + ": '" + hidden + "' escaped: " + Procs.describe(left));
        }
    }
}
