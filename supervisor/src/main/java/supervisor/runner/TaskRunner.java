package supervisor.runner;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import supervisor.launch.ExitStatus;
import supervisor.launch.LaunchException;
import supervisor.limits.Limits;
import supervisor.log.Log;
import supervisor.platform.Daemons;
import supervisor.platform.PlatformException;
import supervisor.process.ChildWatcher;
import supervisor.process.Ending;
import supervisor.process.ProcessSpec;
import supervisor.process.StopPolicy;
import supervisor.process.SupervisedProcess;
import supervisor.terminate.KillReport;

/**
 * Runs many one-shot tasks at once with a fixed number of threads, whatever their number.
 *
 * <p>Each task is a detached {@link SupervisedProcess}: contained (its cgroup leaf, or its tree
 * and marker), limited, guarded, stopped, reaped and released like every supervised process,
 * but not a {@link Process}, which costs a JDK reaper thread for as long as it lives. One thread
 * ({@link ChildWatcher}) observes every task's exit, one thread serves the timeouts, one kills
 * and cleans up, one starts tasks. Threads: those four, plus the JDK's reaper for the guardian
 * and for the short-lived {@code sh} that launches each task (one at a time), and the threads
 * that complete the futures it returns (one while no callback blocks; see {@link #run}).
 *
 * <p>Linux only. Makes this JVM the child subreaper while it is open, so use it in a JVM whose
 * other children are {@link Process}es, or none; one runner per JVM. Thread-safe.
 */
public final class TaskRunner implements AutoCloseable {
    /** The runner's own threads: spawner, child watcher, timer, killer. */
    public static final int THREADS = 4;

    private final ChildWatcher watcher;
    private final Set<Running> running = ConcurrentHashMap.newKeySet();
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(Daemons.factory("supervisor-runner-spawn"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Daemons.factory("supervisor-runner-timer"));
    private final ExecutorService killer = Executors.newSingleThreadExecutor(Daemons.factory("supervisor-runner-kill"));
    /**
     * Where the futures {@link #run} returns complete, and so where a caller's dependent actions
     * (those given no executor) run: never on the runner's own threads, which a callback that
     * blocks, or waits for another task's outcome, would hold up or deadlock. Idle threads end
     * after 60 s; one is enough while no callback blocks.
     */
    private final ExecutorService completions = Executors.newCachedThreadPool(Daemons.factory("supervisor-runner-completion"));
    private volatile boolean closed;

    private static final class Running {
        final SupervisedProcess process;
        final long spawnedAt;
        final long graceNanos;
        final CompletableFuture<TaskOutcome> outcome;
        volatile boolean timedOut;

        Running(SupervisedProcess process, long spawnedAt, long graceNanos, CompletableFuture<TaskOutcome> outcome) {
            this.process = process;
            this.spawnedAt = spawnedAt;
            this.graceNanos = graceNanos;
            this.outcome = outcome;
        }
    }

    private TaskRunner(ChildWatcher watcher) {
        this.watcher = watcher;
    }

    /**
     * @throws IllegalStateException when a runner is open already in this JVM
     * @throws PlatformException when the native layer is missing (not Linux)
     */
    public static TaskRunner start() {
        return new TaskRunner(ChildWatcher.start());
    }

    /**
     * Starts a task. The future completes with its {@link TaskOutcome} once the task and
     * everything it started have ended; or fails with a {@link TaskStartException} when it could
     * not be started (no such program, say), with an {@link IllegalStateException} when the
     * runner is closed. It completes on a thread of the runner's own completion executor, never
     * on one the runner needs: its dependent actions may block or wait for other tasks.
     */
    public CompletableFuture<TaskOutcome> run(TaskRequest request) {
        CompletableFuture<TaskOutcome> result = new CompletableFuture<>();
        CompletableFuture<TaskOutcome> seen = result.whenCompleteAsync((outcome, failure) -> { }, completions);
        if (closed) {
            result.completeExceptionally(new IllegalStateException("the runner is closed"));
            return seen;
        }
        try {
            spawner.execute(() -> spawn(request, result));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the runner is closed"));
        }
        return seen;
    }

    private void spawn(TaskRequest request, CompletableFuture<TaskOutcome> result) {
        long spawnedAt = System.nanoTime();
        SupervisedProcess p;
        try {
            p = SupervisedProcess.startDetached(spec(request), watcher);
        } catch (LaunchException e) {
            result.completeExceptionally(new TaskStartException(e.getMessage(), e));
            return;
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
        }
        Running r = new Running(p, spawnedAt, request.grace().toNanos(), result);
        running.add(r);
        // Not on the watcher's thread: the end of a task may take a kill.
        p.exit().whenCompleteAsync((status, failure) -> finish(r, status, failure), killer);
        if (!request.timeout().isZero()) {
            timer.schedule(() -> stop(r), request.timeout().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private static ProcessSpec spec(TaskRequest r) {
        ProcessSpec spec = ProcessSpec.command(r.command())
                .withOutputFile(r.output())
                .withEnvironment(r.environment())
                .withLimits(new Limits(r.memoryBytes(), r.cpuTime().toNanos(), r.maxProcesses(), 0))
                .withSandbox(r.sandbox());
        return r.workingDirectory() == null ? spec : spec.withWorkdir(r.workingDirectory());
    }

    /** The timeout: SIGTERM to the task and its group, SIGKILL to the whole tree after the grace. */
    private void stop(Running r) {
        if (r.process.exit().isDone()) {
            return;
        }
        r.timedOut = true;
        execute(() -> {
            StopPolicy.Begun begun = StopPolicy.sigterm(r.graceNanos)
                    .begin(r.process::terminate, "pid " + r.process.pid(), Log::warn);
            if (begun.sent()) {
                timer.schedule(() -> execute(() -> kill(r)), begun.killAt() - System.nanoTime(), TimeUnit.NANOSECONDS);
            } else {
                kill(r);
            }
        });
    }

    private void kill(Running r) {
        if (!r.process.exit().isDone()) {
            r.process.kill();
        }
    }

    /** After the task's own exit: what ended it, then kill what it left and release it. */
    private void finish(Running r, ExitStatus status, Throwable failure) {
        try {
            if (failure != null) {
                r.process.release();
                r.outcome.completeExceptionally(failure);
                return;
            }
            Ending ending = r.process.ending(status);
            KillReport leftovers = r.process.release();
            r.outcome.complete(new TaskOutcome(ending.code(), Math.max(0, status.signal()),
                    r.timedOut, System.nanoTime() - r.spawnedAt, leftovers == null ? 0 : leftovers.killed()));
        } catch (RuntimeException e) {
            r.outcome.completeExceptionally(e);
        } finally {
            running.remove(r);
        }
    }

    /** Tasks started and not yet ended. */
    public int running() {
        return running.size();
    }

    /**
     * Stops every task still running (SIGKILL to its tree), waits for their outcomes (reported
     * with {@code timedOut}), and stops the runner's threads. Returns within about 20 s.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        spawner.shutdown();
        awaitTermination(spawner);
        List<CompletableFuture<TaskOutcome>> outcomes = new ArrayList<>();
        for (Running r : running) {
            r.timedOut = true;
            outcomes.add(r.outcome);
            execute(() -> kill(r));
        }
        try {
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            Log.debug("closing the task runner: " + e);
        }
        // Whatever is still watched now fails its outcome, and is released by the killer.
        watcher.close();
        timer.shutdownNow();
        killer.shutdown();
        awaitTermination(killer);
    }

    private void execute(Runnable r) {
        try {
            killer.execute(r);
        } catch (RejectedExecutionException e) {
            // closed: close() killed everything already
        }
    }

    private static void awaitTermination(ExecutorService e) {
        try {
            e.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
