package supervisor.cli.run;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import supervisor.cli.report.RunReport.Reason;
import supervisor.cli.report.RunReport;
import supervisor.launch.ExitStatus;
import supervisor.limits.Limits;
import supervisor.log.Log;
import supervisor.log.Words;
import supervisor.platform.PlatformException;
import supervisor.platform.Signal;
import supervisor.process.Ending;
import supervisor.process.StopPolicy;
import supervisor.process.SupervisedProcess;
import supervisor.terminate.KillReport;
import supervisor.units.Durations;
import supervisor.units.Sizes;

/**
 * The decisions of {@code supervisor run}, one event at a time: when to ask the task to stop,
 * when to kill, and which exit status the run ends with. Events (the task ended, a signal, the
 * output cap) come from a queue; deadlines (the timeout, the grace) are the queue's poll timeouts.
 * It does nothing to the task itself but through {@link Stoppable}, so that its rules can be
 * tested with a fake.
 *
 * <p>The rules, in order of precedence for the status:
 * <ol>
 *   <li>a stop that began (timeout 124, not ready in time 120, signal 128+N, output cap 123) decides the status, however
 *       the task then ends; but a memory or CPU limit that ended the task during a stop begun by
 *       a timeout or signal wins, as the truer cause (never over the output cap, which came first);</li>
 *   <li>else a limit that ended the task (121, 122);</li>
 *   <li>else the task's own status.</li>
 * </ol>
 * With the {@code tree} kill mode (the default), the stop signal goes to every process of the
 * task at once and the grace is waited for all of them, also for what a task leaves running when
 * it exits by itself (systemd's {@code KillMode=control-group}); with {@code task}, to the task
 * and its process group, and what is left once the task has exited is killed at once
 * ({@code KillMode=mixed}). A second signal kills at once.
 *
 * <p>With {@code --wait-descendants} (tini's and dumb-init's most asked-for feature), what the task
 * leaves running when it exits by itself is not stopped but waited for, until the last of it has
 * exited; the timeout and signals still stop it (to every process: the task that a {@code task}
 * kill mode would aim at is gone), and the status stays the task's own unless such a stop began.
 *
 * <p>Readiness ({@code --ready}) arrives as an event too, from a probe or the task's notify
 * socket: the first one, if no stop has begun, is passed to the listener (systemd's READY=1), and
 * ends the ready deadline ({@code --ready-timeout}, counted from the spawn like the timeout).
 *
 * <p>What it does and decides goes into the run's {@link RunReport} as it happens: each signal
 * sent (with its reason and how many processes it reached), each kill, the task's own end, the
 * limits hit, and the outcome that goes with the status.
 *
 * <p>Thread dumps ({@code --thread-dump}): at a timeout (or the ready deadline), the task's JVMs
 * are dumped before the stop signal; when a stop asked for by a signal outlives its grace, before
 * the kill. Each dump holds the loop for at most its own bound, and the grace counts from the
 * stop signal, after it.
 */
final class StopLoop {
    /** How often the tree is looked at while the task has exited and its leftovers are stopping. */
    private static final long DRAIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /**
     * How often the tree is looked at while the task has exited and its leftovers are waited for
     * ({@code --wait-descendants}): a wait that may last hours, so a scan (a few ms) 10 times a
     * second, and the run ends at most this long after the last of them.
     */
    private static final long WAIT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** What the loop needs of the task. */
    interface Stoppable {
        int pid();

        /** @return how many processes got the signal */
        int terminate(int signal, boolean wholeTree);

        KillReport kill();

        boolean treeEmpty();

        /** How the task ended, decoded, with the message of a limit that ended it written. */
        Ending ending(ExitStatus status);

        String mechanism();

        /**
         * Writes a thread dump of the task's JVMs and says where, before a stop signal or a kill;
         * returns within a bound of its own ({@code ThreadDumps.BOUND_NANOS}), and at once when a
         * signal comes (the loop then acts on it); never fails.
         *
         * @param why what led to it ("timeout 1s expired")
         */
        void dumpThreads(String why);
    }

    sealed interface Event permits Exited, Signalled, OutputExceeded, OutputFailed, Ready {
    }

    /** The task is ready; {@code status} is what it said with it (STATUS=), or null. */
    record Ready(String status) implements Event {
    }

    record OutputExceeded() implements Event {
    }

    /** The supervisor's own stdout or stderr refused the task's output: it would be lost. */
    record OutputFailed(String why) implements Event {
    }

    record Exited(ExitStatus status) implements Event {
    }

    record Signalled(int signal) implements Event {
    }

    /**
     * @param stopSignal the signal that asks the task to stop (SIGTERM by default)
     * @param wholeTree the kill mode: true for {@code tree}, false for {@code task}
     * @param threadDumps whether to dump the task's threads at a timeout, and at the end of the
     *     grace of a stop a signal asked for ({@code --thread-dump})
     * @param waitDescendants whether what the task leaves running when it exits is waited for
     *     rather than stopped ({@code --wait-descendants})
     */
    record Rules(long timeoutNanos, long graceNanos, int stopSignal, boolean wholeTree, long outputCap,
                 long readyTimeoutNanos, String readiness, boolean threadDumps, boolean waitDescendants) {
        /** No ready deadline: ready at start; no thread dumps; leftovers stopped. */
        Rules(long timeoutNanos, long graceNanos, int stopSignal, boolean wholeTree, long outputCap) {
            this(timeoutNanos, graceNanos, stopSignal, wholeTree, outputCap, 0, "start", false, false);
        }

        /** Leftovers stopped. */
        Rules(long timeoutNanos, long graceNanos, int stopSignal, boolean wholeTree, long outputCap,
              long readyTimeoutNanos, String readiness, boolean threadDumps) {
            this(timeoutNanos, graceNanos, stopSignal, wholeTree, outputCap, readyTimeoutNanos, readiness, threadDumps,
                    false);
        }

        StopPolicy policy(boolean taskGone) {
            return new StopPolicy(stopSignal, graceNanos, wholeTree || taskGone);
        }
    }

    /** What the loop tells the service manager: a stop begins (STOPPING=1), the task is ready (READY=1). */
    interface StopListener {
        void stopping(String why);

        /**
         * The task became ready, {@code afterNanos} after it was spawned; {@code status} is what it
         * said with it, or null. Called at most once, never once a stop has begun.
         */
        default void ready(String status, long afterNanos) {
        }
    }

    private final Rules rules;
    private final Stoppable task;
    private final BlockingQueue<Event> events;
    private final StopListener listener;
    private final RunReport report;
    private int stopStatus; // non-zero once a stop has begun: the status the run ends with
    private String stopOutcome; // the report's outcome that goes with stopStatus
    private Reason stopReason; // why the stop began, for the report
    private long graceAt; // non-zero while signalled processes have their grace
    private ExitStatus exited; // the task's own end, once seen
    private Ending crashed; // a death by a signal nobody here sent, for the caller to name
    private boolean ready; // a Ready event was passed on
    private String outcome; // set with the status
    private int stopSignalled; // the signal that began the stop, if one did
    private boolean waiting; // the task has exited, and what it left is waited for (--wait-descendants)

    StopLoop(Rules rules, Stoppable task, BlockingQueue<Event> events, StopListener listener) {
        this(rules, task, events, listener, new RunReport(List.of()));
    }

    StopLoop(Rules rules, Stoppable task, BlockingQueue<Event> events, StopListener listener, RunReport report) {
        this.rules = rules;
        this.task = task;
        this.events = events;
        this.listener = listener;
        this.report = report;
    }

    /** The report's outcome that goes with the status {@link #run} returned (see {@link RunReport}). */
    String outcome() {
        return outcome;
    }

    /** How the task's own process ended, or null if that was not seen. */
    ExitStatus exited() {
        return exited;
    }

    /** The task's death by a signal nobody here sent, or null. */
    Ending crashed() {
        return crashed;
    }

    /** Runs until the task and every process it started are gone; returns the run's status. */
    int run(long spawnedAt) throws InterruptedException {
        long timeoutAt = spawnedAt + rules.timeoutNanos();
        long readyAt = spawnedAt + rules.readyTimeoutNanos();
        while (true) {
            Event event;
            long deadline;
            boolean readyDue = rules.readyTimeoutNanos() > 0 && !ready && exited == null;
            if (graceAt != 0) {
                deadline = exited != null ? Math.min(graceAt, System.nanoTime() + DRAIN_POLL_NANOS) : graceAt;
            } else if (exited == null && rules.timeoutNanos() > 0 && readyDue) {
                deadline = readyAt - timeoutAt < 0 ? readyAt : timeoutAt;
            } else if (exited == null && rules.timeoutNanos() > 0) {
                deadline = timeoutAt;
            } else if (exited == null && readyDue) {
                deadline = readyAt;
            } else if (waiting) {
                long poll = System.nanoTime() + WAIT_POLL_NANOS;
                deadline = rules.timeoutNanos() > 0 && timeoutAt - poll < 0 ? timeoutAt : poll;
            } else {
                deadline = 0;
            }
            event = deadline == 0 ? events.take() : events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (event == null) {
                if (waiting && graceAt == 0 && (rules.timeoutNanos() == 0 || System.nanoTime() - timeoutAt < 0)) {
                    if (task.treeEmpty()) {
                        Log.debug("the processes the task left have all exited");
                        return finish();
                    }
                } else if (graceAt == 0 && readyDue && System.nanoTime() - readyAt >= 0
                        && (rules.timeoutNanos() == 0 || readyAt - timeoutAt <= 0)) {
                    String why = "not ready within " + Durations.format(rules.readyTimeoutNanos())
                            + " (--ready " + rules.readiness() + ")";
                    stopStatus = RunSession.NOT_READY;
                    stopOutcome = RunReport.NOT_READY;
                    dumpThreads("task " + why);
                    // Said after the dump, when the signal is sent: "sending SIGTERM" is true then.
                    Log.error("task " + why + ": " + stopping());
                    beginStop(why, Reason.NOT_READY);
                } else if (graceAt == 0) {
                    String why = "timeout " + Durations.format(rules.timeoutNanos()) + " expired";
                    stopStatus = RunSession.TIMED_OUT;
                    stopOutcome = RunReport.TIMEOUT;
                    dumpThreads(why);
                    Log.warn(why + ": " + stopping());
                    beginStop(why, Reason.TIMEOUT);
                } else if (exited != null && task.treeEmpty()) {
                    return finish();
                } else if (System.nanoTime() - graceAt >= 0) {
                    if (rules.graceNanos() > 0) {
                        Log.warn("grace " + Durations.format(rules.graceNanos()) + " expired: killing the task (pid "
                                + task.pid() + ") and all its processes with SIGKILL");
                    }
                    if (stopSignalled != 0 && rules.graceNanos() > 0) {
                        // Asked to stop, it did not within the grace: hung in its shutdown, perhaps.
                        dumpThreads("got " + Signal.name(stopSignalled) + ", and the grace "
                                + Durations.format(rules.graceNanos()) + " expired");
                    }
                    // Without a grace the kill is the stop itself, and keeps its reason.
                    killAll(false, rules.graceNanos() > 0 || stopReason == null ? Reason.GRACE_EXPIRED : stopReason);
                    return finish();
                }
            } else if (event instanceof Ready r) {
                if (!ready && stopStatus == 0 && exited == null) {
                    ready = true;
                    listener.ready(r.status(), System.nanoTime() - spawnedAt);
                }
            } else if (event instanceof OutputFailed f) {
                if (stopStatus == 0) {
                    Log.error(f.why() + "; the task's output is being lost: " + stopping());
                    stopStatus = RunSession.FAILED;
                    stopOutcome = RunReport.ERROR;
                    report.error(f.why());
                    beginStop("its output cannot be written", Reason.OUTPUT_FAILED);
                }
            } else if (event instanceof OutputExceeded) {
                if (stopStatus == 0) {
                    String why = "output limit " + Sizes.format(rules.outputCap()) + " exceeded";
                    Log.error("task stopped: " + why + "; " + stopping());
                    stopStatus = Limits.OUTPUT_EXCEEDED;
                    stopOutcome = RunReport.LIMIT;
                    report.limitHit("output");
                    beginStop(why, Reason.OUTPUT_LIMIT);
                }
            } else if (event instanceof Signalled s && stopStatus == 0) {
                Log.warn("got " + Signal.name(s.signal()) + ": " + stopping()
                        + (rules.graceNanos() > 0 ? "; send it again to kill at once" : ""));
                stopStatus = 128 + s.signal();
                stopOutcome = RunReport.SIGNAL;
                stopSignalled = s.signal();
                beginStop("got " + Signal.name(s.signal()), Reason.SIGNAL);
            } else if (event instanceof Signalled s) {
                // A second signal, or a first one while another stop (a timeout) is under way.
                Log.warn("got " + Signal.name(s.signal()) + (stopSignalled != 0 ? " again" : " while the task was stopping")
                        + ": killing the task (pid " + task.pid() + ") and all its processes now");
                killAll(false, Reason.SECOND_SIGNAL);
                return finish();
            } else if (event instanceof Exited e) {
                exited = e.status();
                report.taskEnded(e.status());
                Log.trace("task exited");
                if (stopStatus != 0) {
                    Log.debug("task " + e.status().describe() + " after " + Signal.name(rules.stopSignal()));
                }
                // "The JVM exited" is not the end: what it started may ignore the stop signal.
                // One look at the tree (a /proc scan, on a one-shot run's critical path).
                boolean empty = task.treeEmpty();
                if (!empty && rules.waitDescendants() && stopStatus == 0) {
                    // Waited for: the timeout, a signal or the last one's exit ends the wait.
                    waiting = true;
                    Log.debug("the task exited and left processes running: waiting for them (--wait-descendants)");
                    continue;
                }
                if (empty || !rules.wholeTree() || rules.graceNanos() == 0) {
                    if (!empty) {
                        killAll(true, Reason.CLEANUP);
                    }
                    Log.trace("tree checked");
                    return finish();
                }
                if (graceAt == 0) {
                    // The task ended by itself and left processes: they are stopped as politely.
                    long sentAt = System.nanoTime();
                    int n = task.terminate(rules.stopSignal(), true);
                    report.signalled(rules.stopSignal(), n, Reason.LEFTOVERS, sentAt);
                    Log.warn("the task exited and left " + Words.count(n, "process", "processes") + " running: sending them "
                            + Signal.name(rules.stopSignal()) + ", grace " + Durations.format(rules.graceNanos()));
                    graceAt = System.nanoTime() + rules.graceNanos();
                }
            }
        }
    }

    /**
     * Before the stop signal at a timeout, and before the kill when a stop a signal asked for
     * outlived its grace: a thread dump, when the rules ask for one. Not for the other stops (the
     * output cap, a failed output, leftovers of a task that ended) nor for a second signal, which
     * asks for a kill at once: there, what the task was doing tells nothing, or nobody waits for it.
     */
    private void dumpThreads(String why) {
        if (rules.threadDumps()) {
            task.dumpThreads(why);
        }
    }

    private String stopping() {
        String whom = rules.wholeTree() || exited != null ? "the task (pid " + task.pid() + ") and all its processes"
                : "the task (pid " + task.pid() + ")";
        if (rules.graceNanos() == 0) {
            return "killing the task (pid " + task.pid() + ") and all its processes with SIGKILL (no grace)";
        }
        return "sending " + Signal.name(rules.stopSignal()) + " to " + whom + ", grace " + Durations.format(rules.graceNanos());
    }

    private void beginStop(String why, Reason reason) {
        stopReason = reason;
        listener.stopping("stopping the task: " + why);
        StopPolicy.Begun begun = rules.policy(exited != null).begin(task::terminate, null, Log::error);
        if (begun.sent()) {
            report.signalled(rules.stopSignal(), begun.reached(), reason, begun.sentAt());
        }
        graceAt = begun.killAt();
    }

    /**
     * Kills whatever of the task still lives.
     *
     * @param leftovers true when the task's own process has ended and what it left was seen
     */
    private void killAll(boolean leftovers, Reason reason) {
        KillReport report;
        long sentAt = System.nanoTime();
        try {
            report = task.kill();
        } catch (PlatformException e) {
            Log.error("cannot kill the task's processes: " + e.getMessage());
            return;
        }
        this.report.killed(report, reason, sentAt);
        if (leftovers && report.killed() > 0) {
            Log.warn("killed " + Words.count(report.killed(), "process", "processes") + " the task left running");
        }
        Log.debug("killed " + Words.count(report.killed(), "process", "processes") + " in " + report.millis()
                + " (" + task.mechanism() + ")");
        if (!report.complete()) {
            Log.error("could not kill " + Words.count(report.survivors().size(), "process", "processes")
                    + " of the task within " + Durations.format(SupervisedProcess.KILL_BUDGET_NANOS) + ": " + report.survivors());
        }
    }

    /** The run's status, by the rules in the class comment. */
    private int finish() {
        Ending ending = exited == null ? null : task.ending(exited);
        int limit = ending == null ? 0 : ending.limitStatus();
        if (limit != 0) {
            report.limitHit(ending.limitWord());
        }
        if (stopStatus != 0) {
            boolean stopWins = stopStatus == Limits.OUTPUT_EXCEEDED || stopStatus == RunSession.FAILED || limit == 0;
            outcome = stopWins ? stopOutcome : RunReport.LIMIT;
            return stopWins ? stopStatus : limit;
        }
        if (limit != 0) {
            outcome = RunReport.LIMIT;
            return limit;
        }
        if (ending.bySignal()) {
            crashed = ending;
            outcome = RunReport.CRASH;
        } else {
            Log.debug("task " + ending.describe());
            outcome = RunReport.EXITED;
        }
        return ending.code();
    }
}
