package supervisor.run;

import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import supervisor.launch.ExitStatus;
import supervisor.launch.JarCheck;
import supervisor.launch.LaunchException;
import supervisor.limits.OutputLimiter;
import supervisor.log.Log;
import supervisor.platform.ProcFs;
import supervisor.platform.Signal;
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

    private final RunOptions options;
    private final BlockingQueue<StopLoop.Event> events = new LinkedBlockingQueue<>();
    private final Notifier notifier = Notifier.fromEnvironment(System.getenv());
    private OutputLimiter output;

    public RunSession(RunOptions options) {
        this.options = options;
    }

    /** Runs the task to its end and returns the supervisor's exit status. */
    public int run() {
        Log.trace("session");
        SignalEvents.connect(signal -> events.add(new StopLoop.Signalled(signal)));
        SupervisedProcess task;
        // The guardian (and the native layer, for the process tree) start while the jar is checked.
        SupervisedProcess.prepareToStart(options.spec());
        try {
            JarCheck.check(options.jar());
            Log.trace("jar checked");
            task = SupervisedProcess.start(options.spec());
        } catch (LaunchException e) {
            Log.error(e.getMessage());
            return e.status();
        }
        long spawnedAt = System.nanoTime();
        Log.trace("spawned");
        if (options.limits().maxOutputBytes() > 0) {
            output = new OutputLimiter(options.limits().maxOutputBytes(), () -> events.add(new StopLoop.OutputExceeded()));
            output.start(task.process());
        }
        task.exit().thenAccept(status -> events.add(new StopLoop.Exited(status)));
        if (notifier.enabled()) {
            notifier.ready("running " + options.jar().getFileName() + " (pid " + task.pid() + ")");
            Watchdog.start(notifier, System.getenv(), () -> ProcFs.stat(task.pid())
                    .map(s -> s.startTime() == task.id().startTime() && !s.isDead() && !s.isStopped())
                    .orElse(false));
        }
        StopLoop loop = new StopLoop(options.rules(), stoppable(task), events, notifier::stopping);
        int status;
        try {
            status = loop.run(spawnedAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            task.kill();
            status = FAILED;
        }
        ExitStatus crashed = loop.crashed();
        if (output != null) {
            output.join(5000);
        }
        task.release();
        Log.trace("released");
        if (crashed != null) {
            Path hsErr = task.crashLog().orElse(null);
            if (hsErr != null) {
                // The JVM aborts after writing its log: its own header names the real signal and frame.
                String what = supervisor.process.CrashLog.read(hsErr).map(supervisor.process.CrashLog::describe)
                        .orElse(Signal.name(crashed.likelySignal()));
                Log.error("task crashed: " + what + " (status " + crashed.code() + ", "
                        + Signal.name(crashed.likelySignal()) + "); the JVM wrote " + hsErr);
            } else {
                Log.warn("task " + crashed.describe() + ", a signal the supervisor did not send");
            }
        }
        return status;
    }

    /** The loop's view of the task. */
    private static StopLoop.Stoppable stoppable(SupervisedProcess task) {
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
            public boolean treeEmpty() {
                return task.treeEmpty();
            }

            @Override
            public int limitVerdict(ExitStatus status) {
                return task.limitVerdict(status, -1);
            }

            @Override
            public String mechanism() {
                return task.mechanism();
            }
        };
    }
}
