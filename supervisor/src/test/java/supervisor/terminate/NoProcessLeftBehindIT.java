package supervisor.terminate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * "No process left behind": real process trees built by hostile tasks, killed by the real
 * supervisor, checked in /proc. Every case runs under each mechanism: the cgroup (where this
 * machine allows one) and the process tree alone, on both launch routes. Each {@link Supervisor}
 * fails on close if any process of its run is still alive.
 */
class NoProcessLeftBehindIT {
    private static final Duration LONG = Duration.ofSeconds(30);

    /** Each termination mechanism, and auto (which picks the cgroup where there is one). */
    enum Mode {
        CGROUP(Route.CGROUP, "cgroup"), TREE(Route.TREE, "tree"), AUTO(Route.TREE, "auto");

        final Route route;
        final String mechanism;

        Mode(Route route, String mechanism) {
            this.route = route;
            this.mechanism = mechanism;
        }
    }

    private static Supervisor start(Mode mode, List<String> options, String... task) throws Exception {
        List<String> all = new ArrayList<>(List.of("--termination", mode.mechanism, "-v"));
        all.addAll(options);
        return Supervisor.builder(withTask(all, task)).route(mode.route).start();
    }

    private static String[] withTask(List<String> options, String... task) {
        List<String> args = new ArrayList<>();
        args.add("run");
        args.addAll(options);
        args.add(Supervisor.TASKS.toString());
        args.add("--");
        args.addAll(List.of(task));
        return args.toArray(String[]::new);
    }

    private static long count(Supervisor s, String cmdline) {
        return s.taskProcesses().stream().filter(p -> Procs.cmdline(p.pid()).equals(cmdline)).count();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void childrenInTheTasksGroupAreKilledOnTimeout(Mode mode) throws Exception {
        try (Supervisor s = start(mode, List.of("--timeout", "2s"), "children", "5")) {
            s.awaitStderr("ready", LONG);
            assertEquals(5, count(s, "sleep 1000"), Procs.describe(s.taskProcesses()));
            assertEquals(124, s.exitCode(LONG));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void setsidAndDoubleForkedGrandchildrenAreKilled(Mode mode) throws Exception {
        String script = "setsid sleep 1001 & (setsid sleep 1002 &); exit 0";
        try (Supervisor s = start(mode, List.of("--timeout", "2s"), "sh", script, "wait")) {
            s.awaitStderr("ready", LONG);
            Await.until(LONG, "both escapees running", () -> count(s, "sleep 1001") == 1 && count(s, "sleep 1002") == 1);
            int taskSession = s.taskJvm().session();
            for (ProcStat p : s.taskProcesses()) {
                if (Procs.cmdline(p.pid()).startsWith("sleep 100")) {
                    assertTrue(p.session() != taskSession, "the escapee left the task's session");
                }
            }
            assertEquals(124, s.exitCode(LONG));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aChildThatIgnoresSigtermIsKilledWhenTheJvmExits(Mode mode) throws Exception {
        long start = System.nanoTime();
        // Kill mode task (systemd's mixed): once the task JVM has ended, what is left is killed at once.
        try (Supervisor s = start(mode, List.of("--timeout", "1s", "--grace", "30s", "--kill-mode", "task"),
                "sh", "trap '' TERM; exec sleep 1003")) {
            s.awaitStderr("ready", LONG);
            assertEquals(124, s.exitCode(LONG));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 10_000, "the TERM-immune child was killed as soon as the JVM exited, not after "
                    + "the 30 s grace: took " + millis + " ms");
            assertTrue(s.stderr().contains("killed 1 process the task left running"), s.stderr());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void processesBornDuringTheStopAreKilledToo(Mode mode) throws Exception {
        try (Supervisor s = start(mode, List.of("--timeout", "1500ms"), "spawner")) {
            assertEquals(124, s.exitCode(LONG));
            assertTrue(s.stderr().contains("task: hook spawned a setsid sleep"), s.stderr());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTaskThatExitsLeavingAChildOnItsStdoutEndsPromptly(Mode mode) throws Exception {
        long start = System.nanoTime();
        try (Supervisor s = start(mode, List.of(), "exit-leaving-child")) {
            assertEquals(0, s.exitCode(LONG));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 8_000, "took " + millis + " ms");
            assertTrue(s.stderr().contains("the task exited and left 1 process running: sending them SIGTERM"), s.stderr());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aSigkilledSupervisorTakesItsTaskWithIt(Mode mode) throws Exception {
        try (Supervisor s = start(mode, List.of(), "sh", "sleep 1004 & setsid sleep 1005 & exec sleep 1006")) {
            s.awaitStderr("ready", LONG);
            Await.until(LONG, "the tree is up", () -> count(s, "sleep 1005") == 1 && count(s, "sleep 1006") == 1);
            Supervisor.kill("KILL", s.pid());
            long killed = System.nanoTime();
            if (!Await.within(Duration.ofSeconds(2), () -> s.taskProcesses().isEmpty())) {
                throw new AssertionError("2 s after the supervisor's SIGKILL these remain:"
                        + Procs.describe(s.taskProcesses()));
            }
            System.out.printf("%s: tree gone %.0f ms after the supervisor's SIGKILL%n", mode,
                    (System.nanoTime() - killed) / 1e6);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTreeOf500IsKilledCompletely(Mode mode) throws Exception {
        try (Supervisor s = start(mode, List.of("--grace", "0"), "tree", "500")) {
            s.awaitStderr("ready", LONG);
            Await.until(LONG, "500 processes", () -> s.taskProcesses().size() >= 500);
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG));
            Matcher m = Pattern.compile("killed (\\d+) processes in ([0-9.]+) ms").matcher(s.stderr());
            assertTrue(m.find(), s.stderr());
            assertTrue(Integer.parseInt(m.group(1)) >= 500, s.stderr());
            System.out.printf("%s: killed %s processes in %s ms%n", mode, m.group(1), m.group(2));
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void adoptedOrphansAreReapedDuringALongRun(Mode mode) throws Exception {
        try (Supervisor s = start(mode, List.of("--timeout", "6s"), "orphan-churn")) {
            s.awaitStderr("ready", LONG);
            int max = 0;
            long end = System.nanoTime() + Duration.ofMillis(5000).toNanos();
            while (System.nanoTime() - end < 0 && s.process().isAlive()) {
                max = Math.max(max, Procs.zombieChildren((int) s.pid()).size());
                LockSupport.parkNanos(50_000_000);
            }
            // About 40 orphans a second are made; unreaped, more than 150 would pile up by now.
            assertTrue(max < 100, "the supervisor let " + max + " zombies pile up");
            assertEquals(124, s.exitCode(LONG));
        }
    }

    @Test
    void nothingOutsideTheTreeIsSignalled() throws Exception {
        // A bystander born after the task, in the test's own session: the supervisor must not touch it.
        try (Supervisor s = start(Mode.TREE, List.of("--timeout", "2s"), "children", "3")) {
            s.awaitStderr("ready", LONG);
            Process bystander = new ProcessBuilder("sleep", "1007").start();
            try {
                assertEquals(124, s.exitCode(LONG));
                assertTrue(bystander.isAlive(), "the bystander was killed");
                assertTrue(ProcFs.stat((int) bystander.pid()).map(p -> !p.isStopped()).orElse(false),
                        "the bystander was stopped");
            } finally {
                bystander.destroyForcibly().waitFor();
            }
        }
    }

    /**
     * Forks that hide, 20 rounds on each mechanism: a child, a setsid'ed child, a double fork, and
     * the same with a cleared environment, all in the task's first milliseconds (before any JVM
     * could act), under a shell that ignores SIGTERM. (AUTO is the cgroup mechanism where one can
     * be had, so it is not run again here.)
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"CGROUP", "TREE"})
    void run_hidingForksNeverSurviveTwentyRounds(Mode mode) throws Exception {
        List<String> hidden = List.of("sleep 1008", "sleep 1009", "sleep 1010", "sleep 1011", "sleep 1012", "sleep 1018");
        for (int i = 0; i < 20; i++) {
            try (Supervisor s = start(mode, List.of("--timeout", "300ms", "--grace", "200ms"), "sh",
                    "sleep 1008 & setsid sleep 1009 & (setsid sleep 1010 &); env -i setsid sleep 1011 &"
                            + " (env -i setsid sleep 1012 &); trap '' TERM; exec sleep 1018")) {
                assertEquals(124, s.exitCode(LONG), "run " + i + ": " + s.stderr());
            }
            for (String h : hidden) {
                List<ProcStat> left = Procs.withCmdline(h);
                left.forEach(p -> ProcessHandle.of(p.pid()).ifPresent(ProcessHandle::destroyForcibly));
                assertEquals(List.of(), left, mode + " run " + i + ": '" + h + "' escaped");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"CGROUP", "TREE"})
    void run_processesSpawnedByShutdownHooksNeverSurvive(Mode mode) throws Exception {
        for (int i = 0; i < 5; i++) {
            try (Supervisor s = start(mode, List.of("--timeout", "400ms", "--grace", "300ms"), "spawner")) {
                assertEquals(124, s.exitCode(LONG), "run " + i + ": " + s.stderr());
            }
        }
    }
}
