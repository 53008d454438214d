package supervisor.cli.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import supervisor.cli.report.RunReport;
import supervisor.launch.ExitStatus;
import supervisor.limits.LimitHit;
import supervisor.limits.Limits;
import supervisor.platform.Signal;
import supervisor.process.Ending;
import supervisor.terminate.KillReport;
import supervisor.testing.StrictJson;

/**
 * The stop rules and the status precedence of {@code supervisor run}, against a fake task: what
 * is signalled, when it is killed, and which status wins. The real processes are in RunContractIT
 * and NoProcessLeftBehindIT; this pins down every combination quickly.
 */
class StopLoopTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** A task whose tree is "alive" until it is killed or, if it obeys, until it is signalled. */
    private static class FakeTask implements StopLoop.Stoppable {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean treeAlive;
        boolean obeys = true;
        int verdict;

        @Override
        public int pid() {
            return 4242;
        }

        @Override
        public int terminate(int signal, boolean wholeTree) {
            calls.add("terminate " + Signal.name(signal) + (wholeTree ? " tree" : " task"));
            if (obeys) {
                treeAlive = false;
            }
            return 2;
        }

        @Override
        public KillReport kill() {
            calls.add("kill");
            treeAlive = false;
            return new KillReport(1, 0, List.of());
        }

        @Override
        public boolean treeEmpty() {
            return !treeAlive;
        }

        @Override
        public Ending ending(ExitStatus status) {
            LimitHit hit = verdict == Limits.MEMORY_EXCEEDED ? LimitHit.MEMORY : verdict == Limits.CPU_EXCEEDED ? LimitHit.CPU : null;
            return Ending.of(status, hit);
        }

        @Override
        public String mechanism() {
            return "fake";
        }

        @Override
        public void dumpThreads(String why) {
            calls.add("dump: " + why);
        }
    }

    private final LinkedBlockingQueue<StopLoop.Event> events = new LinkedBlockingQueue<>();
    private final List<String> stops = new ArrayList<>();

    private StopLoop loop(FakeTask task, long timeout, long grace, boolean wholeTree) {
        return new StopLoop(new StopLoop.Rules(timeout, grace, Signal.TERM, wholeTree, 1000), task, events, stops::add);
    }

    private static StopLoop.Exited exit(int code) {
        return new StopLoop.Exited(new ExitStatus(code, 0));
    }

    @Test
    void aTaskThatEndsAloneGivesItsOwnStatusAndIsNotSignalled() throws Exception {
        FakeTask t = new FakeTask();
        events.add(exit(7));
        assertEquals(7, loop(t, 0, 5000 * MS, true).run(System.nanoTime()));
        assertEquals(List.of(), t.calls);
    }

    @Test
    void treeModeStopsWhatAnEndedTaskLeftPolitelyThenKillsTheStubborn() throws Exception {
        FakeTask obeying = new FakeTask();
        obeying.treeAlive = true;
        events.add(exit(3));
        assertEquals(3, loop(obeying, 0, 5000 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree"), obeying.calls, "leftovers that obey are not killed");

        FakeTask stubborn = new FakeTask();
        stubborn.treeAlive = true;
        stubborn.obeys = false;
        events.add(exit(3));
        assertEquals(3, loop(stubborn, 0, 50 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree", "kill"), stubborn.calls, "killed once the grace is over");
    }

    private StopLoop waiting(FakeTask task, long timeout, boolean wholeTree) {
        return new StopLoop(new StopLoop.Rules(timeout, 5000 * MS, Signal.TERM, wholeTree, 0, 0, "start", false, true),
                task, events, stops::add);
    }

    @Test
    void waitDescendantsWaitsForWhatAnEndedTaskLeftAndKeepsItsStatus() throws Exception {
        FakeTask t = new FakeTask();
        t.treeAlive = true;
        events.add(exit(3));
        // The leftovers end by themselves a while later: nothing is sent to them.
        Thread ender = new Thread(() -> {
            LockSupport.parkNanos(300 * MS); // how long the leftovers live, not a wait
            t.treeAlive = false;
        });
        ender.start();
        long start = System.nanoTime();
        assertEquals(3, waiting(t, 0, true).run(start));
        ender.join();
        assertTrue(System.nanoTime() - start >= 300 * MS, "returned before the leftovers had ended");
        assertEquals(List.of(), t.calls);
    }

    @Test
    void waitDescendantsStillStopsAtTheTimeoutAndOnASignalWholeTreeInEitherMode() throws Exception {
        FakeTask timedOut = new FakeTask();
        timedOut.treeAlive = true;
        events.add(exit(0));
        assertEquals(RunSession.TIMED_OUT, waiting(timedOut, 200 * MS, false).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree"), timedOut.calls, "the task is gone: its leftovers get the signal");

        FakeTask signalled = new FakeTask();
        signalled.treeAlive = true;
        events.add(exit(0));
        events.add(new StopLoop.Signalled(Signal.TERM));
        assertEquals(143, waiting(signalled, 0, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree"), signalled.calls);
    }

    @Test
    void taskModeKillsWhatAnEndedTaskLeftAtOnce() throws Exception {
        FakeTask t = new FakeTask();
        t.treeAlive = true;
        events.add(exit(3));
        assertEquals(3, loop(t, 0, 5000 * MS, false).run(System.nanoTime()));
        assertEquals(List.of("kill"), t.calls);
    }

    @Test
    void aTimeoutIs124HoweverTheTaskThenEnds() throws Exception {
        FakeTask t = new FakeTask();
        t.treeAlive = true;
        new Thread(() -> {
            // the task ends on SIGTERM, with 143, some time after the timeout
            while (!t.calls.contains("terminate SIGTERM tree")) {
                Thread.onSpinWait();
            }
            events.add(exit(143));
        }).start();
        assertEquals(124, loop(t, 30 * MS, 5000 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree"), t.calls);
        assertEquals(List.of("stopping the task: timeout 30ms expired"), stops);
    }

    @Test
    void aTaskThatIgnoresTheStopIsKilledWhenTheGraceEnds() throws Exception {
        FakeTask t = new FakeTask();
        t.treeAlive = true;
        t.obeys = false;
        assertEquals(124, loop(t, 20 * MS, 30 * MS, false).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM task", "kill"), t.calls);
    }

    @Test
    void aSignalIs128PlusNAndASecondOneKillsAtOnce() throws Exception {
        FakeTask t = new FakeTask();
        t.treeAlive = true;
        t.obeys = false;
        events.add(new StopLoop.Signalled(Signal.INT));
        events.add(new StopLoop.Signalled(Signal.INT));
        assertEquals(130, loop(t, 0, 60_000 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree", "kill"), t.calls);
    }

    @Test
    void aMemoryOrCpuLimitThatEndedTheTaskWinsOverATimeoutButNotOverTheOutputCap() throws Exception {
        FakeTask t = new FakeTask();
        t.verdict = Limits.MEMORY_EXCEEDED;
        events.add(new StopLoop.Signalled(Signal.TERM));
        events.add(exit(137));
        assertEquals(121, loop(t, 0, 5000 * MS, true).run(System.nanoTime()));

        FakeTask capped = new FakeTask();
        capped.verdict = Limits.MEMORY_EXCEEDED;
        events.add(new StopLoop.OutputExceeded());
        events.add(exit(137));
        assertEquals(123, loop(capped, 0, 5000 * MS, true).run(System.nanoTime()));

        FakeTask alone = new FakeTask();
        alone.verdict = Limits.CPU_EXCEEDED;
        events.add(exit(152));
        assertEquals(122, loop(alone, 0, 5000 * MS, true).run(System.nanoTime()));
    }

    @Test
    void theStopSignalIsTheOneConfigured() throws Exception {
        FakeTask t = new FakeTask();
        t.treeAlive = true;
        events.add(new StopLoop.Signalled(Signal.HUP));
        events.add(exit(130));
        StopLoop l = new StopLoop(new StopLoop.Rules(0, 5000 * MS, Signal.INT, true, 0), t, events, stops::add);
        assertEquals(129, l.run(System.nanoTime()));
        assertEquals(List.of("terminate SIGINT tree"), t.calls);
    }

    @Test
    void noGraceMeansSigkillAtOnce() throws Exception {
        FakeTask t = new FakeTask();
        t.treeAlive = true;
        assertEquals(124, loop(t, 10 * MS, 0, true).run(System.nanoTime()));
        assertEquals(List.of("kill"), t.calls);
    }

    @Test
    void aDeathBySignalIsReportedAsACrash() throws Exception {
        FakeTask t = new FakeTask();
        events.add(new StopLoop.Exited(new ExitStatus(134, 6)));
        StopLoop l = loop(t, 0, 5000 * MS, true);
        assertEquals(134, l.run(System.nanoTime()));
        assertNotNull(l.crashed());

        events.add(exit(1));
        StopLoop plain = loop(new FakeTask(), 0, 5000 * MS, true);
        assertEquals(1, plain.run(System.nanoTime()));
        assertNull(plain.crashed());
    }

    /** A loop that waits for readiness, telling {@code readies} when the task is ready. */
    private StopLoop readyLoop(FakeTask task, long timeout, long readyTimeout, List<String> readies) {
        return readyLoop(task, timeout, readyTimeout, readies, false);
    }

    private StopLoop readyLoop(FakeTask task, long timeout, long readyTimeout, List<String> readies, boolean dumps) {
        return new StopLoop(new StopLoop.Rules(timeout, 5000 * MS, Signal.TERM, true, 0, readyTimeout, "tcp:8080", dumps), task,
                events, new StopLoop.StopListener() {
                    @Override
                    public void stopping(String why) {
                        stops.add(why);
                    }

                    @Override
                    public void ready(String status, long afterNanos) {
                        readies.add(String.valueOf(status));
                    }
                });
    }

    /** A fake task that ends, with 143, as soon as it is asked to stop. */
    private FakeTask endingOnStop() {
        return new FakeTask() {
            @Override
            public int terminate(int signal, boolean wholeTree) {
                int n = super.terminate(signal, wholeTree);
                events.add(exit(143));
                return n;
            }
        };
    }

    @Test
    void aTaskNotReadyInTimeIsStoppedWith120() throws Exception {
        FakeTask t = endingOnStop();
        t.treeAlive = true;
        List<String> readies = new ArrayList<>();
        assertEquals(120, readyLoop(t, 0, 30 * MS, readies).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree"), t.calls);
        assertEquals(List.of("stopping the task: not ready within 30ms (--ready tcp:8080)"), stops);
        assertEquals(List.of(), readies);
    }

    @Test
    void readinessEndsTheReadyDeadlineAndIsPassedOnOnce() throws Exception {
        FakeTask t = new FakeTask();
        List<String> readies = new ArrayList<>();
        events.add(new StopLoop.Ready("serving"));
        events.add(new StopLoop.Ready("again"));
        new Thread(() -> {
            // long after the ready deadline would have passed
            long end = System.nanoTime() + 100 * MS;
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            events.add(exit(0));
        }).start();
        assertEquals(0, readyLoop(t, 0, 20 * MS, readies).run(System.nanoTime()));
        assertEquals(List.of("serving"), readies);
        assertEquals(List.of(), t.calls);
    }

    @Test
    void theEarlierOfTimeoutAndReadyDeadlineDecides() throws Exception {
        FakeTask t = endingOnStop();
        assertEquals(124, readyLoop(t, 20 * MS, 5000 * MS, new ArrayList<>()).run(System.nanoTime()));
        FakeTask u = endingOnStop();
        assertEquals(120, readyLoop(u, 5000 * MS, 20 * MS, new ArrayList<>()).run(System.nanoTime()));
    }

    /** Runs {@code loop} with a report, and returns the report as parsed JSON. */
    private static Map<?, ?> reported(FakeTask task, StopLoop.Rules rules,
                                                BlockingQueue<StopLoop.Event> events) throws Exception {
        RunReport report = new RunReport(List.of());
        report.spawned(task.pid(), System.nanoTime());
        StopLoop l = new StopLoop(rules, task, events, why -> { }, report);
        int status = l.run(System.nanoTime());
        report.end(l.outcome(), status);
        return (Map<?, ?>) StrictJson.parse(report.json());
    }

    /** "SIGTERM timeout" for each signal sent. */
    private static List<String> sent(Map<?, ?> report) {
        return ((List<?>) report.get("signals_sent")).stream()
                .map(o -> ((Map<?, ?>) o).get("signal") + " " + ((Map<?, ?>) o).get("reason")).toList();
    }

    @Test
    void everyDecisionGoesIntoTheReportWithTheOutcomeOfItsStatus() throws Exception {
        StopLoop.Rules tree = new StopLoop.Rules(0, 50 * MS, Signal.TERM, true, 1000);
        events.add(exit(7));
        Map<?, ?> r = reported(new FakeTask(), tree, events);
        assertEquals(List.of("exited", 7L, List.of()), List.of(r.get("outcome"), r.get("exit_status"), sent(r)));

        FakeTask stubborn = new FakeTask();
        stubborn.treeAlive = true;
        stubborn.obeys = false;
        events.add(exit(3));
        r = reported(stubborn, tree, events);
        assertEquals("exited", r.get("outcome"));
        assertEquals(List.of("SIGTERM leftovers", "SIGKILL grace_expired"), sent(r));
        assertEquals(1L, r.get("processes_killed"));

        FakeTask left = new FakeTask();
        left.treeAlive = true;
        events.add(exit(3));
        r = reported(left, new StopLoop.Rules(0, 5000 * MS, Signal.TERM, false, 0), events);
        assertEquals(List.of("SIGKILL cleanup"), sent(r), "task mode: leftovers killed at once");

        FakeTask ignoring = new FakeTask();
        ignoring.treeAlive = true;
        ignoring.obeys = false;
        r = reported(ignoring, new StopLoop.Rules(20 * MS, 30 * MS, Signal.TERM, true, 0), events);
        assertEquals(List.of("timeout", 124L), List.of(r.get("outcome"), r.get("exit_status")));
        assertEquals(List.of("SIGTERM timeout", "SIGKILL grace_expired"), sent(r));

        FakeTask noGrace = new FakeTask();
        noGrace.treeAlive = true;
        r = reported(noGrace, new StopLoop.Rules(10 * MS, 0, Signal.TERM, true, 0), events);
        assertEquals(List.of("SIGKILL timeout"), sent(r), "without a grace the kill is the stop, and keeps its reason");

        FakeTask twice = new FakeTask();
        twice.treeAlive = true;
        twice.obeys = false;
        events.add(new StopLoop.Signalled(Signal.INT));
        events.add(new StopLoop.Signalled(Signal.INT));
        r = reported(twice, new StopLoop.Rules(0, 60_000 * MS, Signal.TERM, true, 0), events);
        assertEquals(List.of("signal", 130L), List.of(r.get("outcome"), r.get("exit_status")));
        assertEquals(List.of("SIGTERM signal", "SIGKILL second_signal"), sent(r));

        FakeTask memory = new FakeTask();
        memory.verdict = Limits.MEMORY_EXCEEDED;
        events.add(new StopLoop.Signalled(Signal.TERM));
        events.add(exit(137));
        r = reported(memory, tree, events);
        assertEquals(List.of("limit", 121L, List.of("memory")), List.of(r.get("outcome"), r.get("exit_status"), r.get("limits_hit")));

        FakeTask capped = new FakeTask();
        capped.verdict = Limits.MEMORY_EXCEEDED;
        events.add(new StopLoop.OutputExceeded());
        events.add(exit(137));
        r = reported(capped, tree, events);
        assertEquals(List.of("limit", 123L, List.of("output", "memory")),
                List.of(r.get("outcome"), r.get("exit_status"), r.get("limits_hit")), "both limits were hit; the cap decides");
        assertEquals(List.of("SIGTERM output_limit"), sent(r));

        events.add(new StopLoop.OutputFailed("cannot write the task's stdout: No space left on device"));
        events.add(exit(143));
        r = reported(new FakeTask(), tree, events);
        assertEquals(List.of("error", 125L, "cannot write the task's stdout: No space left on device"),
                List.of(r.get("outcome"), r.get("exit_status"), r.get("error")));
        assertEquals(List.of("SIGTERM output_failed"), sent(r));

        events.add(new StopLoop.Exited(new ExitStatus(134, 6)));
        r = reported(new FakeTask(), tree, events);
        assertEquals(List.of("crash", 134L, 134L, "SIGABRT"),
                List.of(r.get("outcome"), r.get("exit_status"), r.get("task_status"), r.get("signal")));

        FakeTask late = endingOnStop();
        late.treeAlive = true;
        r = reported(late, new StopLoop.Rules(0, 5000 * MS, Signal.TERM, true, 0, 30 * MS, "tcp:8080", false), events);
        assertEquals(List.of("not_ready", 120L), List.of(r.get("outcome"), r.get("exit_status")));
        assertEquals(List.of("SIGTERM not_ready"), sent(r));
    }

    @Test
    void readinessAfterAStopBeganIsNotPassedOn() throws Exception {
        FakeTask t = new FakeTask();
        t.treeAlive = true;
        List<String> readies = new ArrayList<>();
        events.add(new StopLoop.Signalled(Signal.TERM));
        events.add(new StopLoop.Ready(null));
        events.add(exit(143));
        assertEquals(143, readyLoop(t, 0, 5000 * MS, readies).run(System.nanoTime()));
        assertEquals(List.of(), readies);
    }

    /** A loop with thread dumps on. */
    private StopLoop dumping(FakeTask task, long timeout, long grace, boolean dumps) {
        return new StopLoop(new StopLoop.Rules(timeout, grace, Signal.TERM, true, 1000, 0, "start", dumps), task, events,
                stops::add);
    }

    @Test
    void aTimeoutDumpsThreadsBeforeTheStopSignalOrTheKill() throws Exception {
        FakeTask t = endingOnStop();
        t.treeAlive = true;
        assertEquals(124, dumping(t, 20 * MS, 5000 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("dump: timeout 20ms expired", "terminate SIGTERM tree"), t.calls);

        FakeTask noGrace = new FakeTask();
        noGrace.treeAlive = true;
        assertEquals(124, dumping(noGrace, 20 * MS, 0, true).run(System.nanoTime()));
        assertEquals(List.of("dump: timeout 20ms expired", "kill"), noGrace.calls, "a grace of 0: dump, then SIGKILL");

        FakeTask stubborn = new FakeTask();
        stubborn.treeAlive = true;
        stubborn.obeys = false;
        assertEquals(124, dumping(stubborn, 20 * MS, 30 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("dump: timeout 20ms expired", "terminate SIGTERM tree", "kill"), stubborn.calls,
                "one dump per stop: not again when the grace after a timeout expires");

        FakeTask off = endingOnStop();
        off.treeAlive = true;
        assertEquals(124, dumping(off, 20 * MS, 5000 * MS, false).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree"), off.calls, "--no-thread-dump");
    }

    @Test
    void aTaskNotReadyInTimeIsDumpedBeforeItsStop() throws Exception {
        FakeTask t = endingOnStop();
        t.treeAlive = true;
        assertEquals(120, readyLoop(t, 0, 30 * MS, new ArrayList<>(), true).run(System.nanoTime()));
        assertEquals(List.of("dump: task not ready within 30ms (--ready tcp:8080)", "terminate SIGTERM tree"), t.calls);
    }

    @Test
    void aStopASignalAskedForIsDumpedOnlyWhenItOutlivesItsGrace() throws Exception {
        FakeTask stubborn = new FakeTask();
        stubborn.treeAlive = true;
        stubborn.obeys = false;
        events.add(new StopLoop.Signalled(Signal.INT));
        assertEquals(130, dumping(stubborn, 0, 30 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree", "dump: got SIGINT, and the grace 30ms expired", "kill"), stubborn.calls);

        FakeTask obeying = endingOnStop();
        obeying.treeAlive = true;
        events.add(new StopLoop.Signalled(Signal.TERM));
        assertEquals(143, dumping(obeying, 0, 5000 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree"), obeying.calls, "it stopped in time: nothing to look at");

        FakeTask twice = new FakeTask();
        twice.treeAlive = true;
        twice.obeys = false;
        events.add(new StopLoop.Signalled(Signal.TERM));
        events.add(new StopLoop.Signalled(Signal.TERM));
        assertEquals(143, dumping(twice, 0, 60_000 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree", "kill"), twice.calls, "a second signal kills at once, no dump");

        FakeTask noGrace = new FakeTask();
        noGrace.treeAlive = true;
        events.add(new StopLoop.Signalled(Signal.TERM));
        assertEquals(143, dumping(noGrace, 0, 0, true).run(System.nanoTime()));
        assertEquals(List.of("kill"), noGrace.calls, "a grace of 0 asks for SIGKILL at once");
    }

    @Test
    void otherStopsAreNotDumped() throws Exception {
        FakeTask capped = new FakeTask();
        capped.treeAlive = true;
        capped.obeys = false;
        events.add(new StopLoop.OutputExceeded());
        assertEquals(123, dumping(capped, 0, 30 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree", "kill"), capped.calls);

        FakeTask leftovers = new FakeTask();
        leftovers.treeAlive = true;
        leftovers.obeys = false;
        events.add(exit(3));
        assertEquals(3, dumping(leftovers, 0, 30 * MS, true).run(System.nanoTime()));
        assertEquals(List.of("terminate SIGTERM tree", "kill"), leftovers.calls, "what an ended task left");
    }
}
