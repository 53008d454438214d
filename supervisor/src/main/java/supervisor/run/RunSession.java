package supervisor.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.config.Durations;
import supervisor.launch.ExitStatus;
import supervisor.launch.JarCheck;
import supervisor.launch.LaunchException;
import supervisor.launch.Spawner;
import supervisor.launch.TaskProcess;
import supervisor.launch.TaskSpec;
import supervisor.launch.Workdirs;
import supervisor.limits.LimitEnforcer;
import supervisor.limits.Limits;
import supervisor.limits.OutputLimiter;
import supervisor.limits.Sizes;
import supervisor.log.Log;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.ProcFs;
import supervisor.service.Notifier;
import supervisor.service.Watchdog;
import supervisor.platform.Posix;
import supervisor.platform.Signal;
import supervisor.terminate.Containment;
import supervisor.terminate.Guardian;
import supervisor.terminate.KillReport;
import supervisor.terminate.OwnedChildren;
import supervisor.terminate.Terminator;

/**
 * One task, from start to exit status: the whole of {@code supervisor run}.
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

    private static final long KILL_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long REAP_INTERVAL_MILLIS = 1000;
    private static final long NATIVE_DELAY_MILLIS = 100;
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private sealed interface Event permits Exited, Signalled, OutputExceeded {
    }

    private record OutputExceeded() implements Event {
    }

    private record Exited(ExitStatus status) implements Event {
    }

    private record Signalled(int signal) implements Event {
    }

    private RunOptions options;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Notifier notifier = Notifier.fromEnvironment(System.getenv());
    private final LimitEnforcer limits;
    private OutputLimiter output;
    private Path scratch;

    public RunSession(RunOptions options) {
        this.options = options;
        this.limits = new LimitEnforcer(options.limits() == null ? Limits.NONE : options.limits());
    }

    /** Runs the task to its end and returns the supervisor's exit status. */
    public int run() {
        Path temp = null;
        if (options.tempWorkdir()) {
            try {
                temp = Workdirs.create("supervisor-task-");
            } catch (IOException e) {
                Log.error("cannot create a working directory for the task: " + e.getMessage());
                return FAILED;
            }
            options = new RunOptions(options.task().withWorkdir(temp), options.timeoutNanos(), options.graceNanos(),
                    options.mechanism(), options.adoption(), true, options.keepWorkdir(), options.limits());
        }
        try {
            return runIn();
        } finally {
            if (temp != null && options.keepWorkdir()) {
                Log.info("kept the task's working directory " + temp);
            } else if (temp != null) {
                Workdirs.delete(temp);
            }
        }
    }

    private int runIn() {
        Log.trace("session");
        SignalEvents.connect(signal -> events.add(new Signalled(signal)));
        Adoption adoption = options.adoption();
        TaskProcess task;
        Containment containment;
        String marker;
        long spawnedAt;
        if (adoption == null) {
            marker = ProcessHandle.current().pid() + "." + System.nanoTime() + "." + SEQUENCE.incrementAndGet();
            containment = null;
            try {
                JarCheck.check(options.task().jar());
                containment = Containment.prepare(options.mechanism());
                task = spawn(marker, containment);
                // At once, on this thread: the task JVM cannot fork before its main, some 40 ms
                // away, so the leaf then holds its whole tree.
                containment.admit(task.pid());
                limits.admit(task.pid());
            } catch (LaunchException | IOException e) {
                if (containment != null) {
                    containment.discard();
                }
                limits.close();
                if (e instanceof LaunchException le) {
                    Log.error(le.getMessage());
                    return le.status();
                }
                Log.error("cannot set up the task's containment: " + e.getMessage());
                return FAILED;
            }
            spawnedAt = System.nanoTime();
        } else {
            marker = adoption.marker();
            task = TaskProcess.adopt(adoption.pid());
            OwnedChildren.own(task.pid());
            long sinceSpawn = ChronoUnit.MICROS.between(
                    Instant.EPOCH.plus(adoption.spawnEpochMicros(), ChronoUnit.MICROS), Instant.now());
            spawnedAt = System.nanoTime()
                    - TimeUnit.MICROSECONDS.toNanos(Math.max(0, Math.min(sinceSpawn, 10_000_000)));
            containment = null; // prepared off the critical path, below
        }
        task.exit().thenAccept(status -> events.add(new Exited(status)));
        Log.trace("adopted");

        // The task is running and its end will be noticed: what remains (the cgroup move costs
        // about 10 ms in the kernel, JNA 60-120 ms to load) is done beside the task's own start.
        Containment prepared = containment;
        CompletableFuture<Supervision> setup = CompletableFuture.supplyAsync(
                () -> setUp(task, prepared, marker), r -> daemon("supervisor-setup", r).start());
        int status;
        try {
            status = supervise(task, setup, spawnedAt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            setup.join().terminator().kill(System.nanoTime() + KILL_BUDGET_NANOS);
            status = FAILED;
        }
        Supervision done = setup.join();
        if (task.adopted() && Platform.ready()) {
            // The launcher's task is our child that the JDK does not reap; when this JVM exits
            // first, its zombie goes to init, which may be slow (or, in a container, never) to
            // reap it. JNA is loaded by now in all but the shortest runs.
            OwnedChildren.disown(task.pid());
            try {
                Platform.posix().reap(task.pid());
            } catch (PlatformException e) {
                Log.debug("cannot reap the task: " + e.getMessage());
            }
        }
        if (output != null) {
            output.join(5000);
        }
        limits.reportProcesses();
        limits.close();
        if (scratch != null) {
            Workdirs.delete(scratch);
        }
        done.terminator().close();
        if (done.guardian() != null) {
            done.guardian().release();
        }
        Log.trace("released");
        return status;
    }

    /** Starts the task with its limits, and its output through the supervisor if capped. */
    private TaskProcess spawn(String marker, Containment containment) throws LaunchException, IOException {
        TaskSpec spec = options.task();
        List<String> wrapper = List.of();
        if (limits.limits().any()) {
            scratch = Workdirs.create("supervisor-");
            String leaf = containment.leafPath();
            LimitEnforcer.Prepared p = limits.prepare(leaf == null ? null : Path.of(leaf), scratch);
            wrapper = p.wrapper();
            List<String> jvm = new ArrayList<>(spec.jvmOptions());
            jvm.addAll(p.jvmOptions()); // last, so that they win over the user's own -Xmx
            spec = spec.withJvmOptions(jvm);
        }
        long cap = limits.limits().maxOutputBytes();
        Process process = Spawner.start(spec, marker, wrapper, cap > 0);
        if (cap > 0) {
            output = new OutputLimiter(cap, () -> events.add(new OutputExceeded()));
            output.start(process);
        }
        return TaskProcess.of(process);
    }

    /** What holds the task once it runs: its terminator, and the guardian outside this JVM. */
    private record Supervision(Terminator terminator, Guardian guardian) {
    }

    private Supervision setUp(TaskProcess task, Containment prepared, String marker) {
        Adoption adoption = options.adoption();
        Containment containment = prepared;
        if (containment == null && task.exit().isDone()) {
            containment = Containment.none(); // ended already: a leaf would hold nothing
        } else if (containment == null) {
            try {
                containment = Containment.prepare(options.mechanism());
            } catch (IOException e) {
                containment = Containment.none(); // AUTO never throws; the launcher passes nothing else
            }
            containment.admit(task.pid()); // the launcher's task: as soon as this JVM can
        }
        Guardian guardian;
        try {
            guardian = adoption == null ? Guardian.start(task.id(), marker)
                    : Guardian.attach(adoption.guardianPid(), adoption.guardianFd());
            guardian.leaf(containment.leafPath());
        } catch (IOException e) {
            Log.warn("cannot start the guardian (" + e.getMessage()
                    + "): the task will not be killed should the supervisor itself be killed");
            guardian = null;
        }
        int guardianPid = guardian == null ? -1 : guardian.pid();
        int taskPid = task.pid();
        Terminator terminator = containment.terminator(task.id(), marker, true,
                pid -> pid == guardianPid, pid -> pid == taskPid || pid == guardianPid);
        if (terminator instanceof supervisor.terminate.PortableTerminator) {
            Log.warn("not Linux (" + System.getProperty("os.name") + "): the task's processes are found through"
                    + " ProcessHandle only; a process that leaves its parent's tree will not be killed");
        }
        Log.debug("task pid " + taskPid + (task.adopted() ? " (started by the launcher)" : "")
                + "; termination mechanism: " + terminator.mechanism());
        startSubreaper(task, guardianPid);
        if (notifier.enabled()) {
            notifier.ready("running " + options.task().jar().getFileName() + " (pid " + taskPid + ")");
            Watchdog.start(notifier, System.getenv(), () -> ProcFs.stat(task.id().pid())
                    .map(s -> s.startTime() == task.id().startTime() && !s.isDead() && !s.isStopped())
                    .orElse(false));
        }
        Log.trace("set up");
        return new Supervision(terminator, guardian);
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private int supervise(TaskProcess task, CompletableFuture<Supervision> setup, long spawnedAt)
            throws InterruptedException {
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
                graceAt = beginStop(setup.join().terminator(), grace, why);
            } else if (event == null) {
                if (grace > 0) {
                    Log.warn("grace " + Durations.format(grace) + " expired: killing the task (pid " + task.pid()
                            + ") and all its processes with SIGKILL");
                }
                killAll(setup.join().terminator(), false);
                return stopStatus;
            } else if (event instanceof OutputExceeded) {
                if (stopStatus == 0) {
                    String why = "output limit " + Sizes.format(limits.limits().maxOutputBytes()) + " exceeded";
                    Log.error("task stopped: " + why + "; " + stopping(task, grace));
                    stopStatus = Limits.OUTPUT_EXCEEDED;
                    graceAt = beginStop(setup.join().terminator(), grace, why);
                }
            } else if (event instanceof Signalled s && stopStatus == 0) {
                Log.warn("got " + Signal.name(s.signal()) + ": " + stopping(task, grace)
                        + (grace > 0 ? "; send it again to kill at once" : ""));
                stopStatus = 128 + s.signal();
                graceAt = beginStop(setup.join().terminator(), grace, "got " + Signal.name(s.signal()));
            } else if (event instanceof Signalled s) {
                Log.warn("got " + Signal.name(s.signal()) + " again: killing the task (pid " + task.pid()
                        + ") and all its processes now");
                killAll(setup.join().terminator(), false);
                return stopStatus;
            } else if (event instanceof Exited e && stopStatus != 0) {
                // "The JVM exited" is not the end of the stop: what it started may ignore SIGTERM.
                Log.debug("task " + e.status().describe() + " after SIGTERM");
                killAll(setup.join().terminator(), true);
                int limit = limits.verdict(e.status(), -1);
                return stopStatus == Limits.OUTPUT_EXCEEDED || limit == 0 ? stopStatus : limit;
            } else if (event instanceof Exited e) {
                Log.trace("task exited");
                killAll(setup.join().terminator(), true);
                Log.trace("tree checked");
                int limit = limits.verdict(e.status(), -1);
                return limit != 0 ? limit : ended(task, e.status());
            }
        }
    }

    private static String stopping(TaskProcess task, long grace) {
        if (grace == 0) {
            return "killing the task (pid " + task.pid() + ") and all its processes with SIGKILL (no grace)";
        }
        return "sending SIGTERM to the task (pid " + task.pid() + "), grace " + Durations.format(grace);
    }

    private long beginStop(Terminator terminator, long grace, String why) {
        notifier.stopping("stopping the task: " + why);
        if (grace == 0) {
            return System.nanoTime(); // no grace: straight to SIGKILL
        }
        try {
            terminator.terminate();
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
    private void killAll(Terminator terminator, boolean leftovers) {
        if (leftovers && terminator.empty()) {
            return;
        }
        KillReport report;
        try {
            report = terminator.kill(System.nanoTime() + KILL_BUDGET_NANOS);
        } catch (PlatformException e) {
            Log.error("cannot kill the task's processes: " + e.getMessage());
            return;
        }
        if (leftovers && report.killed() > 0) {
            Log.warn("killed " + plural(report.killed(), "process") + " the task left running");
        }
        Log.debug("killed " + plural(report.killed(), "process") + " in " + report.millis()
                + " (" + terminator.mechanism() + ")");
        if (!report.complete()) {
            Log.error("could not kill " + plural(report.survivors().size(), "process") + " of the task within "
                    + Durations.format(KILL_BUDGET_NANOS) + ": " + report.survivors());
        }
    }

    /** The task ended by itself: its own status, with a word when it did not simply exit. */
    private int ended(TaskProcess task, ExitStatus status) {
        if (status.code() != 0 && task.adopted()) {
            // The launcher could not look inside the jar before starting it; java has refused
            // it by now, and the status says so as it would have without the fast path.
            try {
                JarCheck.check(options.task().jar());
            } catch (LaunchException e) {
                Log.error(e.getMessage());
                return e.status();
            }
        }
        int signal = status.likelySignal();
        if (signal > 0 && signal < 65) {
            Path hsErr = findCrashLog(task.pid());
            if (hsErr != null) {
                Log.error("task crashed with " + Signal.name(signal) + " (status " + status.code()
                        + "); the JVM wrote " + hsErr);
            } else {
                Log.warn("task " + status.describe() + ", a signal the supervisor did not send");
            }
        } else {
            Log.debug("task " + status.describe());
        }
        return status.code();
    }

    /** hs_err_pidN.log: in the task's working directory, or in /tmp when that was not writable. */
    private Path findCrashLog(int pid) {
        String name = "hs_err_pid" + pid + ".log";
        Path workdir = options.task().workdir() == null ? Path.of("").toAbsolutePath() : options.task().workdir();
        for (Path dir : new Path[] {workdir, Path.of(System.getProperty("java.io.tmpdir"))}) {
            Path candidate = dir.resolve(name);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * Becomes the child subreaper as soon as the native layer has loaded, off the critical path,
     * then reaps adopted orphans once a second so that a long run does not collect zombies.
     */
    private static void startSubreaper(TaskProcess task, int guardianPid) {
        int taskPid = task.pid();
        Thread t = daemon("supervisor-reaper", () -> {
            // Most tasks outlive their first 100 ms; those that do not are better off without a
            // JNA load competing for the CPU with their start and delaying this JVM's exit. A
            // stop needs the native layer at once and loads it itself.
            try {
                task.exit().get(NATIVE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (java.util.concurrent.TimeoutException e) {
                // still running: carry on
            } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                return;
            }
            Posix posix;
            try {
                posix = Platform.posix();
                posix.becomeSubreaper();
                Log.debug("child subreaper: on");
            } catch (PlatformException e) {
                Log.warn("native support unavailable (" + e.getMessage() + "): orphans that leave the"
                        + " task's session and environment cannot be found");
                return;
            }
            while (true) {
                try {
                    Thread.sleep(REAP_INTERVAL_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
                OwnedChildren.reap(posix, pid -> pid == taskPid || pid == guardianPid);
            }
        });
        t.start();
    }

    private static String plural(int n, String word) {
        return n + " " + word + (n == 1 ? "" : "es");
    }
}
