package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.platform.Platform;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;
import supervisor.platform.Signal;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/**
 * The liveness check against real processes: a stopped one (SIGSTOP) is not running, a zombie
 * is neither running nor stopped. The guardian's watch and {@code run}'s health check read these
 * answers; LivenessTest covers this JVM and a reused pid.
 */
class LivenessIT {
    private static final Duration PATIENCE = Duration.ofSeconds(5);
    private final String mark = "SUPERVISOR_TEST_ID=" + UUID.randomUUID();
    private Process sh;

    @AfterEach
    void nothingLeftBehind() throws InterruptedException {
        if (sh != null) {
            Platform.posix().signal(ProcFs.id((int) sh.pid()).orElse(null), Signal.CONT);
            sh.destroyForcibly();
            assertTrue(sh.waitFor(5, TimeUnit.SECONDS));
        }
        Procs.assertNoneLeft(mark, PATIENCE);
    }

    /** A sleep that never reaps the child it leaves: its pid, once that child is a zombie. */
    private ProcessId start(String script) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script);
        String[] kv = mark.split("=", 2);
        pb.environment().put(kv[0], kv[1]);
        pb.redirectErrorStream(true);
        sh = pb.start();
        return ProcFs.id((int) sh.pid()).orElseThrow();
    }

    @Test
    void aStoppedProcessIsStoppedAndNotRunning_andRunsAgainOnSigcont() throws Exception {
        ProcessId p = start("exec sleep 1071");
        Await.until(PATIENCE, "sleep running", () -> Liveness.running(p));
        assertFalse(Liveness.stopped(p));

        Platform.posix().signal(p, Signal.STOP);
        Await.until(PATIENCE, "stopped", () -> Liveness.stopped(p));
        assertFalse(Liveness.running(p), "a stopped process cannot act");

        Platform.posix().signal(p, Signal.CONT);
        Await.until(PATIENCE, "running again", () -> Liveness.running(p));
        assertFalse(Liveness.stopped(p));
    }

    @Test
    void aZombieIsNeitherRunningNorStopped() throws Exception {
        // sh forks "sleep 0" and execs "sleep 1072", which never waits: the child stays a zombie.
        ProcessId parent = start("sleep 0 & exec sleep 1072");
        Await.until(PATIENCE, "a zombie child of sleep 1072", () -> zombieOf(parent.pid()) != null);
        ProcessId zombie = zombieOf(parent.pid());
        assertFalse(Liveness.running(zombie), "a zombie has exited");
        assertFalse(Liveness.stopped(zombie));
        assertTrue(Liveness.running(parent));
    }

    private static ProcessId zombieOf(int pid) {
        List<Integer> children = ProcFs.children(pid);
        for (int c : children) {
            ProcStat s = ProcFs.stat(c).orElse(null);
            if (s != null && s.isDead()) {
                return s.id();
            }
        }
        return null;
    }
}
