package supervisor.cli.run;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import supervisor.cli.report.Consumed;
import supervisor.cli.report.Report;
import supervisor.cli.report.RunReport;
import supervisor.cli.service.HealthFile;
import supervisor.cli.service.Notifier;
import supervisor.cli.service.NotifyRelay;
import supervisor.cli.service.Readiness;
import supervisor.cli.service.Watchdog;
import supervisor.diagnose.ThreadDumps;
import supervisor.launch.BeforeStart;
import supervisor.launch.ExitStatus;
import supervisor.launch.JarCheck;
import supervisor.launch.LaunchException;
import supervisor.launch.ProgramCheck;
import supervisor.limits.LimitHit;
import supervisor.limits.OutputLimiter;
import supervisor.limits.Usage;
import supervisor.log.Log;
import supervisor.platform.ProcFs;
import supervisor.platform.Signal;
import supervisor.process.Ending;
import supervisor.process.Liveness;
import supervisor.process.ProcessSpec;
import supervisor.process.SupervisedProcess;
import supervisor.terminate.KillReport;
import supervisor.terminate.OwnedChildren;
import supervisor.units.Durations;

/**
 * One task, from start to exit status: the whole of {@code supervisor run}. The task's life
 * (containment, limits, guardian, kill, clean-up) is a {@link SupervisedProcess}; this class
 * decides when to stop it and what status the run ends with.
 *
 * <p>Everything that happens (the task ends, a signal arrives, a deadline passes) becomes an
 * event for one loop on the calling thread, in the manner of tini: handlers only enqueue, and
 * the loop alone decides. The calling thread also spawns the task, so it must outlive it (the
 * parent-death signal is tied to the spawning thread).
 *
 * <p>The run's {@link RunReport} is fed as things happen and written once, last, whatever the
 * outcome; with {@code -v} a closing line says what the task's tree consumed.
 */
public final class RunSession {
    /** Exit status when the timeout expired, whatever the task then did (as timeout(1)). */
    public static final int TIMED_OUT = 124;
    /** Exit status when the task was not ready within --ready-timeout and was stopped. */
    public static final int NOT_READY = 120;
    /** Exit status when the supervisor itself failed. */
    public static final int FAILED = 125;

    private final RunOptions options;
    private final RunReport report;
    private final BlockingQueue<StopLoop.Event> events = new LinkedBlockingQueue<>();
    private final Notifier notifier = Notifier.fromEnvironment(System.getenv());
    private OutputLimiter output;
    /** Attach listeners a thread dump started, whose sockets a killed JVM leaves in /tmp. */
    private final List<ThreadDumps.Listener> listeners = new CopyOnWriteArrayList<>();
    /** Completed by a signal: the thread dump under way, if one is, ends then. */
    private final AtomicReference<CompletableFuture<String>> dumpCancel = new AtomicReference<>();

    public RunSession(RunOptions options) {
        this(options, new RunReport(List.of()));
    }

    /** @param report where the run is recorded; written at the end if it has a path */
    public RunSession(RunOptions options, RunReport report) {
        this.options = options;
        this.report = report;
    }

    /** Runs the task to its end, writes its report, and returns the supervisor's exit status. */
    public int run() {
        Log.trace("session");
        report.command(options.spec().command());
        SignalEvents.connect(signal -> {
            events.add(new StopLoop.Signalled(signal));
            // A thread dump under way ends now: the loop acts on the signal within its bound, not 2.5 s later.
            CompletableFuture<String> dump = dumpCancel.get();
            if (dump != null) {
                dump.complete("got " + Signal.name(signal));
            }
        });
        SupervisedProcess task;
        // The guardian (and the native layer, for the process tree) start while the jar is checked.
        ProcessSpec spec = options.spec();
        SupervisedProcess.prepareToStart(spec);
        try {
            Stdout.requireOpen("the task's output", "to discard it: >/dev/null");
            if (options.program()) {
                spec = spec.withProgram(ProgramCheck.check(spec.command().get(0)).toString());
                Log.trace("program found");
            } else {
                JarCheck.check(options.jar());
                Log.trace("jar checked");
            }
            // A signal that came before the spawn (from the launcher's first line on) means the task
            // is never spawned: the command line ends with its line and report. (One that comes
            // during the spawn is handled as one during the run: the task is stopped at once.)
            BeforeStart.check("before the task started");
            task = SupervisedProcess.startTask(spec);
        } catch (LaunchException e) {
            closeHealthFile();
            Log.error(e.getMessage());
            report.error(e.getMessage());
            report.end(Report.START_FAILED, e.status());
            report.write();
            return e.status();
        }
        long spawnedAt = System.nanoTime();
        report.spawned(task.pid(), spawnedAt);
        report.mechanism(task.inCgroup() ? "cgroup" : ProcFs.available() ? "tree" : "portable");
        Log.trace("spawned");
        if (options.limits().maxOutputBytes() > 0) {
            output = new OutputLimiter(options.limits().maxOutputBytes(), () -> events.add(new StopLoop.OutputExceeded()),
                    why -> events.add(new StopLoop.OutputFailed(why)));
            output.start(task.process());
        }
        task.exit().thenAccept(status -> events.add(new StopLoop.Exited(status)));
        Readiness readiness = options.readiness();
        AtomicBoolean ready = new AtomicBoolean(readiness.kind() == Readiness.Kind.START);
        HealthFile healthFile = options.healthFile();
        Thread probe = null;
        if (ready.get()) {
            notifier.ready(running(task));
            if (healthFile != null) {
                healthFile.ready();
            }
        } else {
            if (healthFile != null) {
                healthFile.starting();
            }
            Log.debug("waiting for the task to be ready: until " + readiness.meaning()
                    + (options.readyTimeoutNanos() > 0 ? ", at most " + Durations.format(options.readyTimeoutNanos()) : ""));
            if (readiness.kind() == Readiness.Kind.NOTIFY) {
                task.notifySocket().ifPresent(socket ->
                        NotifyRelay.start(socket, notifier, status -> events.add(new StopLoop.Ready(status))));
            } else {
                probe = readiness.await(task.workdir(), () -> events.add(new StopLoop.Ready(null)));
            }
        }
        AtomicBoolean stopping = new AtomicBoolean();
        Thread watchdog = Watchdog.start(notifier, System.getenv(), healthFile,
                () -> stopping.get() ? null : health(task, readiness, ready.get()));
        StopLoop loop = new StopLoop(options.rules(), stoppable(task, options.dumpDir(), report, listeners, this::dumpCancel), events, new StopLoop.StopListener() {
            @Override
            public void stopping(String why) {
                stopping.set(true);
                notifier.stopping(why);
                if (healthFile != null) {
                    healthFile.stopping(why);
                }
            }

            @Override
            public void ready(String status, long afterNanos) {
                ready.set(true);
                Log.debug("task ready after " + Durations.format(afterNanos) + ": " + readiness.meaning()
                        + " (--ready " + readiness + ")");
                notifier.ready(status != null ? status : running(task));
                if (healthFile != null) {
                    healthFile.ready();
                }
            }
        }, report);
        int status;
        String outcome;
        try {
            status = loop.run(spawnedAt);
            outcome = loop.outcome();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            report.killed(task.kill(), RunReport.Reason.CLEANUP, System.nanoTime());
            report.error("interrupted while supervising the task");
            status = FAILED;
            outcome = Report.ERROR;
        }
        if (probe != null) {
            probe.interrupt();
        }
        if (watchdog != null) {
            watchdog.interrupt();
        }
        // The task is over, or about to be: a probe from now on finds no file, so neither ready nor alive.
        closeHealthFile();
        Ending crashed = loop.crashed();
        if (output != null) {
            output.join(5000);
        }
        // Counted before the release, which removes the cgroups that hold the counts.
        Usage usage = options.spec().accounting() ? task.usage() : Usage.UNKNOWN;
        report.killed(task.release(), RunReport.Reason.CLEANUP, System.nanoTime());
        Log.trace("released");
        listeners.forEach(ThreadDumps.Listener::removeIfDead);
        if (task.processLimitHits() > 0) {
            report.limitHit("processes");
        }
        if (task.memoryLimitKills() > 0) {
            report.limitHit(LimitHit.MEMORY.word());
        }
        // A task killed at the end of the grace ended after the loop's last event: the release waited
        // for it, so its status is known now (from the Process: its onExit future may complete later).
        ExitStatus ended = loop.exited();
        if (ended == null && !task.process().isAlive()) {
            ended = OwnedChildren.ended(task.process());
        }
        if (ended != null) {
            report.taskEnded(ended);
        }
        if (ended != null && ended.likelySignal() > 0) {
            task.crashLog().ifPresent(report::hsErr);
        }
        if (crashed != null) {
            // Looked for after the release, which moves it out of a temporary working directory.
            Ending withLog = crashed.withCrashLog(task.crashLog());
            if (withLog.crashLogPath() != null) {
                Log.error("task " + withLog.crashLine());
            } else {
                Log.warn("task " + withLog.crashLine());
            }
        }
        report.usage(usage);
        String consumed = Log.debugEnabled() ? Consumed.line(usage) : null;
        if (consumed != null) {
            Log.info(consumed); // last, as systemd's "Consumed ..." line ends a unit's run
        }
        report.end(outcome, status);
        report.write();
        return status;
    }

    private void closeHealthFile() {
        if (options.healthFile() != null) {
            options.healthFile().close();
        }
    }

    private String running(SupervisedProcess task) {
        return "running " + options.taskName() + " (pid " + task.pid() + ")";
    }

    /**
     * What is wrong with the task for the watchdog (systemd's, the health file's), or null: it must be alive and not
     * frozen, and once ready, still pass its probe (tcp:, file:). Before it is ready, systemd's
     * start timeout is the judge, not the probe; once a stop began, the stop's grace is (the
     * watchdog's caller then says healthy: a task on its way out is not a failure).
     */
    private static String health(SupervisedProcess task, Readiness readiness, boolean ready) {
        if (!Liveness.running(task.id())) {
            return "is not responsive (frozen, stopped or gone)";
        }
        if (ready && readiness.probed() && !readiness.check(task.workdir())) {
            return "is not healthy: " + readiness.failure() + " (--ready " + readiness + ")";
        }
        return null;
    }

    /** The loop's view of the task; thread dumps go to {@code dumpDir}. */
    /**
     * A future that a signal completes, for the thread dump about to start; completed at once if
     * a signal is already waiting for the loop. Null again once the dump is over.
     */
    private CompletableFuture<String> dumpCancel(boolean start) {
        if (!start) {
            dumpCancel.set(null);
            return null;
        }
        CompletableFuture<String> cancel = new CompletableFuture<>();
        dumpCancel.set(cancel);
        // Set first, looked at second: a signal is either seen here or completes it itself.
        for (StopLoop.Event e : events) {
            if (e instanceof StopLoop.Signalled s) {
                cancel.complete("got " + Signal.name(s.signal()));
            }
        }
        return cancel;
    }

    private static StopLoop.Stoppable stoppable(SupervisedProcess task, Path dumpDir, RunReport report,
                                                List<ThreadDumps.Listener> listeners,
                                                Function<Boolean, CompletableFuture<String>> cancels) {
        return new StopLoop.Stoppable() {
            @Override
            public int pid() {
                return task.pid();
            }

            @Override
            public int terminate(int signal, boolean wholeTree) {
                return task.terminate(signal, wholeTree);
            }

            @Override
            public KillReport kill() {
                return task.kill();
            }

            @Override
            public Ending ending(ExitStatus status) {
                return task.ending(status);
            }

            @Override
            public boolean treeEmpty() {
                return task.treeEmpty();
            }

            @Override
            public void dumpThreads(String why) {
                long start = System.nanoTime();
                ThreadDumps.Outcome dump;
                try {
                    dump = ThreadDumps.take(task.processes(), dumpDir, task.marker(), why, task::guardFile, cancels.apply(true));
                } catch (RuntimeException e) {
                    // /proc unreadable, say: the stop goes on without a dump
                    Log.warn("no thread dump: cannot list the task's processes: " + e.getMessage());
                    return;
                } finally {
                    cancels.apply(false);
                }
                listeners.addAll(dump.listeners());
                if (dump.file() != null) {
                    report.threadDump(dump.file());
                }
                if (dump.whole()) {
                    Log.info(dump.line());
                } else {
                    Log.warn(dump.line());
                }
                Log.debug("thread dump took " + Durations.format(System.nanoTime() - start));
            }

            @Override
            public String mechanism() {
                return task.mechanism();
            }
        };
    }
}
