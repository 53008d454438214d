package supervisor.run;

import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import supervisor.config.Durations;
import supervisor.launch.ExitStatus;
import supervisor.launch.JarCheck;
import supervisor.launch.LaunchException;
import supervisor.limits.Limits;
import supervisor.limits.OutputLimiter;
import supervisor.limits.Sizes;
import supervisor.log.Log;
import supervisor.platform.PlatformException;
import supervisor.platform.ProcFs;
import supervisor.platform.Signal;
import supervisor.process.ProcessSpec;
import supervisor.process.SupervisedProcess;
import supervisor.service.Notifier;
import supervisor.service.Watchdog;
import supervisor.terminate.KillReport;

/**
 * One task, from start to exit status: the whole of {@code supervisor run}. The task's life
 * (containment, limits, guardian, kill, clean-up) is a {@link SupervisedProcess}; this class
 * decides when to stop it and what status the run ends with.
 *
 * <p>Everything that happens (the task ends, a signal arrives, a deadline passes) becomes an
 * event for one loop on the calling thread, in the manner of tini: handlers only enqueue, and
 * the loop alone decides. The calling thread also spawns the task, so it must outlive it (the
 * parent-death signal is tied to the spawning thread).
 */
public final class RunSession {
    /** Exit status when the timeout expired, whatever the task then did (as timeout(1)). */
    public static final int TIMED_OUT = 124;
    /** Exit status when the supervisor itself failed. */
    public static final int FAILED = 125;

    private sealed interface Event permits Exited, Signalled, OutputExceeded {
    }

    private record OutputExceeded() implements Event {
    }

    private record Exited(ExitStatus status) implements Event {
    }

    private record Signalled(int signal) implements Event {
    }

    private final RunOptions options;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Notifier notifier = Notifier.fromEnvironment(System.getenv());
    private OutputLimiter output;
    private ExitStatus crashed; // said after the release, which may move the crash log

    public RunSession(RunOptions options) {
        this.options = options;
    }

    /** Runs the task to its end and returns the supervisor's exit status. */
    public int run() {
        Log.trace("session");
        SignalEvents.connect(signal -> events.add(new Signalled(signal)));
        SupervisedProcess task;
        try {
            JarCheck.check(options.jar());
            task = SupervisedProcess.start(options.spec());
        } catch (LaunchException e) {
            Log.error(e.getMessage());
            return e.status();
        }
        long spawnedAt = System.nanoTime();
        Log.trace("spawned");
        if (options.limits().maxOutputBytes() > 0) {
            output = new OutputLimiter(options.limits().maxOutputBytes(), () -> events.add(new OutputExceeded()));
            output.start(task.process());
        }
        task.exit().thenAccept(status -> events.add(new Exited(status)));
        if (notifier.enabled()) {
            notifier.ready("running " + options.jar().getFileName() + " (pid " + task.pid() + ")");
            Watchdog.start(notifier, System.getenv(), () -> ProcFs.stat(task.pid())
                    .map(s -> s.startTime() == task.id().startTime() && !s.isDead() && !s.isStopped())
                    .orElse(false));
        }
        int status;
        try {
            status = supervise(task, spawnedAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = FAILED;
        }
        if (output != null) {
            output.join(5000);
        }
        task.release();
        Log.trace("released");
        if (crashed != null) {
            Path hsErr = task.crashLog().orElse(null);
            if (hsErr != null) {
                Log.error("task crashed with " + Signal.name(crashed.likelySignal()) + " (status " + crashed.code()
                        + "); the JVM wrote " + hsErr);
            } else {
                Log.warn("task " + crashed.describe() + ", a signal the supervisor did not send");
            }
        }
        return status;
    }

    private int supervise(SupervisedProcess task, long spawnedAt) throws InterruptedException {
        long timeout = options.timeoutNanos();
        long grace = options.graceNanos();
        long timeoutAt = spawnedAt + timeout;
        long graceAt = 0;
        int stopStatus = 0; // non-zero once a stop has begun: the status the run ends with
        while (true) {
            Event event;
            if (stopStatus == 0 && timeout == 0) {
                event = events.take();
            } else {
                long deadline = stopStatus == 0 ? timeoutAt : graceAt;
                event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
            if (event == null && stopStatus == 0) {
                String why = "timeout " + Durations.format(timeout) + " expired";
                Log.warn(why + ": " + stopping(task, grace));
                stopStatus = TIMED_OUT;
                graceAt = beginStop(task, grace, why);
            } else if (event == null) {
                if (grace > 0) {
                    Log.warn("grace " + Durations.format(grace) + " expired: killing the task (pid " + task.pid()
                            + ") and all its processes with SIGKILL");
                }
                killAll(task, false);
                return stopStatus;
            } else if (event instanceof OutputExceeded) {
                if (stopStatus == 0) {
                    String why = "output limit " + Sizes.format(options.limits().maxOutputBytes()) + " exceeded";
                    Log.error("task stopped: " + why + "; " + stopping(task, grace));
                    stopStatus = Limits.OUTPUT_EXCEEDED;
                    graceAt = beginStop(task, grace, why);
                }
            } else if (event instanceof Signalled s && stopStatus == 0) {
                Log.warn("got " + Signal.name(s.signal()) + ": " + stopping(task, grace)
                        + (grace > 0 ? "; send it again to kill at once" : ""));
                stopStatus = 128 + s.signal();
                graceAt = beginStop(task, grace, "got " + Signal.name(s.signal()));
            } else if (event instanceof Signalled s) {
                Log.warn("got " + Signal.name(s.signal()) + " again: killing the task (pid " + task.pid()
                        + ") and all its processes now");
                killAll(task, false);
                return stopStatus;
            } else if (event instanceof Exited e && stopStatus != 0) {
                // "The JVM exited" is not the end of the stop: what it started may ignore SIGTERM.
                Log.debug("task " + e.status().describe() + " after SIGTERM");
                killAll(task, true);
                int limit = task.limitVerdict(e.status(), -1);
                return stopStatus == Limits.OUTPUT_EXCEEDED || limit == 0 ? stopStatus : limit;
            } else if (event instanceof Exited e) {
                Log.trace("task exited");
                killAll(task, true);
                Log.trace("tree checked");
                int limit = task.limitVerdict(e.status(), -1);
                return limit != 0 ? limit : ended(task, e.status());
            }
        }
    }

    private static String stopping(SupervisedProcess task, long grace) {
        if (grace == 0) {
            return "killing the task (pid " + task.pid() + ") and all its processes with SIGKILL (no grace)";
        }
        return "sending SIGTERM to the task (pid " + task.pid() + "), grace " + Durations.format(grace);
    }

    private long beginStop(SupervisedProcess task, long grace, String why) {
        notifier.stopping("stopping the task: " + why);
        if (grace == 0) {
            return System.nanoTime(); // no grace: straight to SIGKILL
        }
        try {
            task.terminate();
        } catch (PlatformException e) {
            Log.error("cannot send SIGTERM: " + e.getMessage() + "; killing instead");
            return System.nanoTime();
        }
        return System.nanoTime() + grace;
    }

    /**
     * Kills whatever of the task still lives.
     *
     * @param leftovers true when the task's own process has ended and only what it left remains
     */
    private void killAll(SupervisedProcess task, boolean leftovers) {
        if (leftovers && task.treeEmpty()) {
            return;
        }
        KillReport report;
        try {
            report = task.kill();
        } catch (PlatformException e) {
            Log.error("cannot kill the task's processes: " + e.getMessage());
            return;
        }
        if (leftovers && report.killed() > 0) {
            Log.warn("killed " + plural(report.killed(), "process") + " the task left running");
        }
        Log.debug("killed " + plural(report.killed(), "process") + " in " + report.millis()
                + " (" + task.mechanism() + ")");
        if (!report.complete()) {
            Log.error("could not kill " + plural(report.survivors().size(), "process") + " of the task within "
                    + Durations.format(SupervisedProcess.KILL_BUDGET_NANOS) + ": " + report.survivors());
        }
    }

    /** The task ended by itself: its own status, with a word when it did not simply exit. */
    private int ended(SupervisedProcess task, ExitStatus status) {
        int signal = status.likelySignal();
        if (signal > 0 && signal < 65) {
            crashed = status;
        } else {
            Log.debug("task " + status.describe());
        }
        return status.code();
    }

    private static String plural(int n, String word) {
        return n + " " + word + (n == 1 ? "" : "es");
    }
}
