package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import supervisor.platform.Cgroups;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * {@code kill -9} of {@code supervisor run} at any moment, of the supervisor alone or of its whole
 * process group (what {@code timeout -s KILL} and many process managers send): within 2 s the
 * guardian has left no process of the task, no cgroup directory (v2 leaf, v1 memory and pids
 * directories), and no scratch or temporary working directory. Moments: every 10 ms through the
 * first 200 ms of the supervisor's main (20 ms steps for the tree mechanism), where it records,
 * creates and spawns; mid-run; and during the stop.
 */
class SupervisorKilledIT {
    private static final Duration CLEAN_WITHIN = Duration.ofSeconds(2);

    /** A tree that hides: a child, a setsid'ed child, and (cgroup only) one that also clears its environment. */
    private static String hidingTree(Route route) {
        return "sleep 1021 & setsid sleep 1022 & " + (route == Route.CGROUP ? "(env -i setsid sleep 1023 &)" : "");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void killedAtAnyMomentLeavesNothing(Route route) throws Exception {
        if (route == Route.CGROUP) {
            org.junit.jupiter.api.Assumptions.assumeTrue(Cgroups.writableV2Parent().isPresent(),
                    "no writable cgroup2 hierarchy here (needs root, or a systemd unit with Delegate=yes)");
        }
        Set<String> before = supervisor.testing.Procs.supervisorLeftovers();
        int step = route == Route.CGROUP ? 10 : 20;
        int round = 0;
        for (int delay = 0; delay <= 200; delay += step, round++) {
            killAt(route, before, delay + " ms into main", delay, "trace:", round % 2 == 0);
        }
        killAt(route, before, "mid-run", -1, "ready", false);
        killAt(route, before, "mid-run, group", -1, "ready", true);
        killAt(route, before, "during the stop", -1, "sending SIGTERM", false);
        killAt(route, before, "during the stop, group", -1, "sending SIGTERM", true);
    }

    private void killAt(Route route, Set<String> before, String moment, int delayMillis, String awaitText,
                        boolean group) throws Exception {
        String id = UUID.randomUUID().toString();
        List<String> cmd = new ArrayList<>(List.of("setsid", Supervisor.LAUNCHER.toAbsolutePath().toString(), "run",
                "--termination", route == Route.CGROUP ? "cgroup" : "tree", "--temp-workdir", "--memory", "256m",
                "--max-procs", "500", "--timeout", awaitText != null && awaitText.startsWith("sending") ? "1s" : "60s",
                "--grace", "30s", Supervisor.TASKS.toString(), "--", "sh",
                hidingTree(route) + "trap '' TERM; echo ready >&2; exec sleep 1024", "hang"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("SUPERVISOR_TEST_ID", id);
        pb.environment().put("SUPERVISOR_THREAD_DUMP", "no"); // its timeout writes no dump into the module's directory
        pb.environment().put("SUPERVISOR_TRACE", "1"); // "supervisor: trace: ... main" marks the start of main
        Process p = pb.start();
        StringBuilder err = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                byte[] buf = new byte[4096];
                int n;
                while ((n = p.getErrorStream().read(buf)) > 0) {
                    synchronized (err) {
                        err.append(new String(buf, 0, n));
                    }
                }
            } catch (IOException e) {
                // the supervisor is gone
            }
        });
        reader.setDaemon(true);
        reader.start();
        Await.until(Duration.ofSeconds(30), moment + ": '" + awaitText + "' on stderr", () -> {
            synchronized (err) {
                return err.toString().contains(awaitText);
            }
        });
        if (delayMillis > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delayMillis)); // the moment itself is the test
        }
        // setsid execs in place: the launcher, then the supervisor JVM, leads its own group.
        Supervisor.kill("KILL", group ? -p.pid() : p.pid());
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), moment + ": the supervisor did not die of SIGKILL");
        String where = route + ", killed " + moment + (group ? " (its process group)" : "");
        boolean clean = Await.within(CLEAN_WITHIN, () -> Procs.withEnv("SUPERVISOR_TEST_ID=" + id).isEmpty()
                && hidden().isEmpty() && supervisor.testing.Procs.supervisorLeftovers().equals(before));
        if (!clean) {
            hidden().forEach(s -> ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroyForcibly));
            Procs.withEnv("SUPERVISOR_TEST_ID=" + id).forEach(s -> ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroyForcibly));
        }
        assertEquals(List.of(), Procs.withEnv("SUPERVISOR_TEST_ID=" + id).stream().map(s -> Procs.cmdline(s.pid())).toList(),
                where + ": processes left");
        assertEquals(List.of(), hidden().stream().map(s -> Procs.cmdline(s.pid())).toList(), where + ": hidden processes left");
        Set<String> after = supervisor.testing.Procs.supervisorLeftovers();
        after.removeAll(before);
        assertEquals(Set.of(), after, where + ": cgroups or directories left");
    }

    private static List<supervisor.platform.ProcStat> hidden() {
        List<supervisor.platform.ProcStat> all = new ArrayList<>();
        for (String c : List.of("sleep 1021", "sleep 1022", "sleep 1023", "sleep 1024")) {
            all.addAll(Procs.withCmdline(c));
        }
        return all;
    }

}
