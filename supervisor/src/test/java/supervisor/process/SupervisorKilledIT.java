package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import supervisor.platform.Cgroups;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.RunsAlone;
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
@RunsAlone
class SupervisorKilledIT {
    private static final Duration CLEAN_WITHIN = Duration.ofSeconds(2);

    /**
     * A tree that hides: a child, a setsid'ed child, an orphan that clears its environment but
     * stays in the task's process group (only the guardian's group kill finds it: under dash that
     * kill failed unseen), and (cgroup only) one that also leaves the session.
     */
    private static String hidingTree(Route route) {
        return "sleep 1021 & setsid sleep 1022 & (env -i sleep 1025 </dev/null >/dev/null 2>&1 &); "
                + (route == Route.CGROUP ? "(env -i setsid sleep 1023 &); " : "");
    }

    @ParameterizedTest
    @EnumSource(Route.class)
    void killedAtAnyMomentLeavesNothing(Route route) throws Exception {
        if (route == Route.CGROUP) {
            org.junit.jupiter.api.Assumptions.assumeTrue(Cgroups.writableV2Parent().isPresent(),
                    "no writable cgroup2 hierarchy here (needs root, or a systemd unit with Delegate=yes)");
        }
        Set<String> before = Procs.supervisorLeftovers();
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
        // "supervisor: trace: ... main" marks the start of main.
        Running r = new Running(GuardianOrigin.LAUNCHER, Map.of("SUPERVISOR_TRACE", "1"), "run",
                "--termination", route == Route.CGROUP ? "cgroup" : "tree", "--temp-workdir", "--memory", "256m",
                "--max-procs", "500", "--timeout", awaitText != null && awaitText.startsWith("sending") ? "1s" : "60s",
                "--grace", "30s", Supervisor.TASKS.toString(), "--", "sh",
                hidingTree(route) + "trap '' TERM; echo ready >&2; exec sleep 1024", "hang");
        Await.until(Duration.ofSeconds(30), moment + ": '" + awaitText + "' on stderr", () -> r.stderr().contains(awaitText));
        if (delayMillis > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delayMillis)); // the moment itself is the test
        }
        // setsid execs in place: the launcher, then the supervisor JVM, leads its own group.
        r.killAndAssertNothingLeft(route + ", killed " + moment + (group ? " (its process group)" : ""), before, group);
    }

    /** Where the supervisor's guardian comes from: the launcher starts it, or the JVM (library, fallback). */
    enum GuardianOrigin { LAUNCHER, JVM }

    /** A supervisor started for these tests, its stderr collected. */
    private static final class Running {
        final Process process;
        final String id = UUID.randomUUID().toString();
        private final StringBuilder err = new StringBuilder();

        Running(GuardianOrigin origin, String... runArgs) throws IOException {
            this(origin, Map.of(), runArgs);
        }

        Running(GuardianOrigin origin, Map<String, String> env, String... runArgs) throws IOException {
            List<String> cmd = new ArrayList<>();
            if (origin == GuardianOrigin.LAUNCHER) {
                cmd.addAll(List.of("setsid", Supervisor.LAUNCHER.toAbsolutePath().toString()));
            } else {
                // The JVM without the launcher: no -Dsupervisor.guardian, so it starts its own.
                cmd.addAll(List.of("setsid", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", Path.of("target", "supervisor.jar").toAbsolutePath().toString(), "supervisor.cli.Main"));
            }
            cmd.addAll(List.of(runArgs));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("SUPERVISOR_TEST_ID", id);
            pb.environment().put("SUPERVISOR_THREAD_DUMP", "no"); // a timeout writes no dump into the module's directory
            pb.environment().putAll(env);
            process = pb.start();
            Thread reader = new Thread(() -> {
                try {
                    byte[] buf = new byte[4096];
                    int n;
                    while ((n = process.getErrorStream().read(buf)) > 0) {
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
        }

        String stderr() {
            synchronized (err) {
                return err.toString();
            }
        }

        /** Kills the supervisor (if still there); then within 2 s nothing of its task may be left. */
        void killAndAssertNothingLeft(String where, Set<String> before) throws Exception {
            killAndAssertNothingLeft(where, before, false);
        }

        /** As above; with {@code group}, the kill goes to the supervisor's whole process group. */
        void killAndAssertNothingLeft(String where, Set<String> before, boolean group) throws Exception {
            Supervisor.kill("KILL", group ? -process.pid() : process.pid());
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), where + ": the supervisor did not die of SIGKILL");
            boolean clean = Await.within(CLEAN_WITHIN, () -> Procs.withEnv("SUPERVISOR_TEST_ID=" + id).isEmpty()
                    && hidden().isEmpty() && Procs.supervisorLeftovers().equals(before));
            if (!clean) {
                hidden().forEach(s -> ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroyForcibly));
                Procs.withEnv("SUPERVISOR_TEST_ID=" + id).forEach(s -> ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroyForcibly));
            }
            where = where + "; stderr: " + stderr();
            assertEquals(List.of(), Procs.withEnv("SUPERVISOR_TEST_ID=" + id).stream().map(s -> Procs.cmdline(s.pid())).toList(),
                    where + ": processes left");
            assertEquals(List.of(), hidden().stream().map(s -> Procs.cmdline(s.pid())).toList(), where + ": hidden processes left");
            Set<String> after = Procs.supervisorLeftovers();
            after.removeAll(before);
            assertEquals(Set.of(), after, where + ": cgroups or directories left");
        }
    }

    private static Route route() {
        return Cgroups.writableV2Parent().isPresent() ? Route.CGROUP : Route.TREE;
    }

    /**
     * The guardian killed first (SIGKILL: it ignores the rest), then the supervisor: the supervisor
     * notices the guardian's death within its 25 ms check, starts another and tells it everything
     * still recorded; killed after that, it leaves nothing, on either origin of the guardian.
     */
    @ParameterizedTest
    @EnumSource(GuardianOrigin.class)
    void guardianKilledFirstThenSupervisor_isReplacedAndLeavesNothing(GuardianOrigin origin) throws Exception {
        Set<String> before = Procs.supervisorLeftovers();
        Running r = new Running(origin, "run", "-v", "--temp-workdir", "--timeout", "60s", Supervisor.TASKS.toString(),
                "--", "sh", hidingTree(route()) + "echo ready >&2; exec sleep 1024", "hang");
        try {
            Await.until(Duration.ofSeconds(30), origin + ": the task says it is ready", () -> r.stderr().contains("ready"));
            int guardian = guardianOf(r.process.pid());
            assertTrue(guardian > 0, origin + ": no guardian child of the supervisor (pid " + r.process.pid() + ")");
            Supervisor.kill("KILL", guardian);
            Await.until(Duration.ofSeconds(5), origin + ": the supervisor says the guardian " + guardian + " is gone",
                    () -> r.stderr().contains("the guardian (pid " + guardian + ") is gone: another (pid "));
            int successor = guardianOf(r.process.pid());
            assertTrue(successor > 0 && successor != guardian, origin + ": no new guardian; stderr: " + r.stderr());
        } finally {
            r.killAndAssertNothingLeft(origin + " guardian killed, then the supervisor (" + route() + ")", before);
        }
    }

    /** A stopped guardian could clean up nothing: it is killed and replaced, as a dead one is. */
    @ParameterizedTest
    @EnumSource(GuardianOrigin.class)
    void guardianStopped_isReplacedAndLeavesNothing(GuardianOrigin origin) throws Exception {
        Set<String> before = Procs.supervisorLeftovers();
        Running r = new Running(origin, "run", "--temp-workdir", "--timeout", "60s", Supervisor.TASKS.toString(),
                "--", "sh", hidingTree(route()) + "echo ready >&2; exec sleep 1024", "hang");
        int guardian = -1;
        try {
            Await.until(Duration.ofSeconds(30), origin + ": the task says it is ready", () -> r.stderr().contains("ready"));
            guardian = guardianOf(r.process.pid());
            assertTrue(guardian > 0, origin + ": no guardian child of the supervisor (pid " + r.process.pid() + ")");
            Supervisor.kill("STOP", guardian);
            int stopped = guardian;
            Await.until(Duration.ofSeconds(5), origin + ": the supervisor says the guardian " + stopped + " was stopped",
                    () -> r.stderr().contains("the guardian (pid " + stopped + ") was stopped (killed it): another (pid "));
            Await.until(Duration.ofSeconds(5), origin + ": the stopped guardian is killed",
                    () -> guardianOf(r.process.pid()) != stopped);
        } finally {
            r.killAndAssertNothingLeft(origin + " guardian stopped, then the supervisor killed (" + route() + ")", before);
            if (guardian > 0) {
                int g = guardian;
                ProcessHandle.of(g).ifPresent(ProcessHandle::destroyForcibly); // should the test have failed
            }
        }
    }

    /**
     * Every new guardian killed as soon as it is seen, for a second: the supervisor keeps trying
     * (with a back-off), and once the killing stops it has a guardian again; a kill of the
     * supervisor then leaves nothing. (A replacement that failed once used to leave the run
     * unguarded to its end.)
     */
    @org.junit.jupiter.api.Test
    void guardianKilledFirstThenSupervisor_whileEveryNewGuardianIsKilledForASecond() throws Exception {
        Set<String> before = Procs.supervisorLeftovers();
        Running r = new Running(GuardianOrigin.LAUNCHER, "run", "--timeout", "60s", Supervisor.TASKS.toString(),
                "--", "sh", hidingTree(route()) + "echo ready >&2; exec sleep 1024", "hang");
        try {
            Await.until(Duration.ofSeconds(30), "the task says it is ready", () -> r.stderr().contains("ready"));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            Set<Integer> killed = new HashSet<>();
            while (System.nanoTime() - until < 0) {
                int g = guardianOf(r.process.pid());
                if (g > 0 && killed.add(g)) {
                    Supervisor.kill("KILL", g);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // a killer's pace, not a wait for a condition
            }
            assertTrue(killed.size() >= 2, "the supervisor did not start another guardian; stderr: " + r.stderr());
            // Again a guardian that took over (told everything), not only one that is starting.
            Await.until(Duration.ofSeconds(5), "a guardian again, once the killing stopped", () -> {
                int g = guardianOf(r.process.pid());
                return g > 0 && !killed.contains(g) && r.stderr().contains("another (pid " + g + ")");
            });
            assertTrue(r.process.isAlive(), r.stderr());
        } finally {
            r.killAndAssertNothingLeft("every new guardian killed for a second, then the supervisor", before);
        }
    }

    /** The live child of {@code parent} that runs guardian.sh, or -1. */
    private static int guardianOf(long parent) {
        for (ProcStat s : ProcFs.scan()) {
            if (s.ppid() == parent && !s.isDead() && Procs.isGuardianCmdline(Procs.cmdline(s.pid()))) {
                return s.pid();
            }
        }
        return -1;
    }

    private static List<ProcStat> hidden() {
        List<ProcStat> all = new ArrayList<>();
        for (String c : List.of("sleep 1021", "sleep 1022", "sleep 1023", "sleep 1024", "sleep 1025")) {
            all.addAll(Procs.withCmdline(c));
        }
        return all;
    }

}
