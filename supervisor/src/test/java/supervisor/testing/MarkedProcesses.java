package supervisor.testing;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import supervisor.platform.ProcStat;

/**
 * Processes a test starts itself, each carrying one mark in its environment, so that none of them
 * (nor anything they fork) can hide from the clean-up.
 */
public final class MarkedProcesses {
    /** "SUPERVISOR_TEST_MARK=uuid": in the environment of everything started here. */
    public final String mark = "SUPERVISOR_TEST_MARK=" + UUID.randomUUID();
    private final List<Process> spawned = new ArrayList<>();

    /** Starts {@code command} with the mark; stdout is a pipe, stderr is discarded. */
    public Process spawn(String... command) throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).redirectError(Redirect.DISCARD);
        String[] kv = mark.split("=", 2);
        b.environment().put(kv[0], kv[1]);
        Process p = b.start();
        spawned.add(p);
        return p;
    }

    /** Kills everything started here and everything carrying the mark; fails if any remains. */
    public void killAndCheck() throws InterruptedException {
        for (Process p : spawned) {
            p.destroyForcibly();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                throw new AssertionError("pid " + p.pid() + " did not die of SIGKILL");
            }
        }
        for (ProcStat p : Procs.withEnv(mark)) {
            ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
        Procs.assertNoneLeft(mark, Duration.ofSeconds(5));
    }
}
