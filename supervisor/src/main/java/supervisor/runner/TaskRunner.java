package supervisor.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.launch.ExitStatus;
import supervisor.log.Log;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.Posix;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;
import supervisor.terminate.Guardian;
import supervisor.terminate.KillReport;
import supervisor.terminate.OwnedChildren;
import supervisor.terminate.TaskTree;
import supervisor.terminate.TreeTerminator;

/**
 * Runs many one-shot tasks at once with a fixed number of threads, whatever their number.
 *
 * <p>A {@link Process} costs a JDK reaper thread for as long as it lives, so tasks are not
 * {@code Process}es: a short-lived {@code sh} starts each one in the background ({@code setsid},
 * the marker in its environment) and exits, the task is reparented to this JVM, its child
 * subreaper, and one thread waits for every child with {@code waitid(P_ALL, WNOWAIT)}, reaping
 * only the tasks it knows and the orphans they leave. One timer thread serves the timeouts, one
 * thread kills, one thread spawns, and a single guardian process kills every task should this
 * JVM die. Threads: those four, plus the JDK's reaper for the guardian and for each {@code sh}
 * while it lives (the spawner starts one at a time).
 *
 * <p>Linux only. Becomes the child subreaper of this JVM, so use it in a JVM whose other
 * children are {@link Process}es started through {@link OwnedChildren} or none. Thread-safe.
 */
public final class TaskRunner implements AutoCloseable {
    /** The runner's own threads: spawner, child watcher, timer, killer. */
    public static final int THREADS = 4;

    private final Posix posix;
    private final String prefix = "runner." + ProcessHandle.current().pid() + "." + System.nanoTime();
    private final AtomicLong sequence = new AtomicLong();
    private final Map<Integer, Running> running = new ConcurrentHashMap<>();
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> thread(r, "supervisor-runner-spawn"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            r -> thread(r, "supervisor-runner-timer"));
    private final ExecutorService killer = Executors.newSingleThreadExecutor(r -> thread(r, "supervisor-runner-kill"));
    private final Thread watcher;
    private final Guardian guardian;
    private volatile boolean closed;
    private volatile boolean stopWatching;
    /** True while the spawner starts a task and has not yet recorded its pid; guarded by this. */
    private boolean spawning;

    private final class Running {
        final ProcessId id;
        final String marker;
        final long spawnedAt;
        final long graceNanos;
        final CompletableFuture<TaskOutcome> outcome = new CompletableFuture<>();
        volatile boolean timedOut;

        Running(ProcessId id, String marker, long spawnedAt, long graceNanos) {
            this.id = id;
            this.marker = marker;
            this.spawnedAt = spawnedAt;
            this.graceNanos = graceNanos;
        }

        TreeTerminator terminator() {
            int g = guardian == null ? -1 : guardian.pid();
            return new TreeTerminator(new TaskTree(id, marker, false, p -> p == g), p -> p == id.pid() || p == g);
        }
    }

    /** Its watcher reaps every child nobody else owns: two runners would steal each other's. */
    private static final java.util.concurrent.atomic.AtomicBoolean OPEN = new java.util.concurrent.atomic.AtomicBoolean();

    private TaskRunner() throws IOException {
        posix = Platform.posix();
        posix.becomeSubreaper();
        guardian = Guardian.startForPrefix(prefix);
        watcher = thread(this::watch, "supervisor-runner-watch");
        watcher.start();
    }

    /**
     * @throws IOException when the guardian cannot be started
     * @throws PlatformException when the native layer is missing (not Linux)
     */
    public static TaskRunner start() throws IOException {
        if (!OPEN.compareAndSet(false, true)) {
            throw new IllegalStateException("a TaskRunner is already open in this JVM: close it first");
        }
        try {
            return new TaskRunner();
        } catch (IOException | RuntimeException e) {
            OPEN.set(false);
            throw e;
        }
    }

    /**
     * Starts {@code command} (a program and its arguments, no shell) with stdin from /dev/null
     * and stdout and stderr to {@code output} (null: /dev/null). At {@code timeout} (zero: none)
     * it gets SIGTERM with its process group, then, after {@code grace}, SIGKILL with everything
     * it started. Whatever it leaves running when it ends is killed too.
     */
    public CompletableFuture<TaskOutcome> run(List<String> command, Path output, Duration timeout, Duration grace) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("the runner is closed"));
        }
        CompletableFuture<TaskOutcome> result = new CompletableFuture<>();
        spawner.execute(() -> {
            try {
                Running r = spawn(command, output, grace);
                r.outcome.whenComplete((o, t) -> {
                    if (t != null) {
                        result.completeExceptionally(t);
                    } else {
                        result.complete(o);
                    }
                });
                if (!timeout.isZero()) {
                    timer.schedule(() -> stop(r), timeout.toNanos(), TimeUnit.NANOSECONDS);
                }
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private Running spawn(List<String> command, Path output, Duration grace) throws IOException {
        synchronized (this) {
            spawning = true;
        }
        try {
            return spawnRecorded(command, output, grace);
        } finally {
            synchronized (this) {
                spawning = false;
                notifyAll(); // the watcher may be waiting to learn whether a zombie is this task
            }
        }
    }

    private Running spawnRecorded(List<String> command, Path output, Duration grace) throws IOException {
        String marker = prefix + "." + sequence.incrementAndGet();
        // setsid --fork: its first process forks the task and exits at once without waiting, so
        // the task is reparented to this JVM (the subreaper) and no shell can ever reap it. The
        // task prints its own pid, then execs the command with its real streams; head holds the
        // pipeline open until that line is through (the JDK closes the pipe of a process that
        // has exited, and setsid's own process exits first).
        String inner = "echo $$; out=$1; shift; exec \"$@\" </dev/null >\"$out\" 2>&1";
        List<String> sh = new ArrayList<>(List.of("sh", "-c",
                "inner=$1; shift; setsid --fork sh -c \"$inner\" task \"$@\" | head -n 1", "sh", inner,
                output == null ? "/dev/null" : output.toString()));
        sh.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(sh).redirectErrorStream(true);
        pb.environment().put(TaskTree.MARKER_VARIABLE, marker);
        Process p = OwnedChildren.start(pb);
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int pid;
        try {
            pid = Integer.parseInt(said);
        } catch (NumberFormatException e) {
            throw new IOException("cannot start " + command + ": " + said);
        }
        long spawnedAt = System.nanoTime();
        // The task may have ended already: then its zombie (ours, as subreaper) still says who it was.
        ProcessId id = ProcFs.id(pid).orElse(new ProcessId(pid, -1));
        Running r = new Running(id, marker, spawnedAt, grace.toNanos());
        running.put(pid, r);
        return r;
    }

    /** The timeout: SIGTERM to the task and its group, SIGKILL to the whole tree after the grace. */
    private void stop(Running r) {
        if (r.outcome.isDone()) {
            return;
        }
        r.timedOut = true;
        killer.execute(() -> {
            try {
                r.terminator().terminate();
            } catch (PlatformException e) {
                Log.warn("cannot send SIGTERM to pid " + r.id.pid() + ": " + e.getMessage());
            }
            timer.schedule(() -> killer.execute(() -> {
                if (!r.outcome.isDone()) {
                    r.terminator().kill(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
                }
            }), r.graceNanos, TimeUnit.NANOSECONDS);
        });
    }

    /** The one thread that waits for every child of this JVM. */
    private void watch() {
        while (!stopWatching && (!closed || !running.isEmpty())) {
            int pid;
            try {
                pid = posix.awaitAnyChildExit();
            } catch (PlatformException e) {
                Log.error("the task runner's watcher stopped: " + e.getMessage());
                return;
            }
            if (pid < 0) {
                sleep(5); // no child at all right now
                continue;
            }
            Running r = running.get(pid);
            if (r == null && OwnedChildren.owned(pid)) {
                sleep(1); // a Process's: the JDK reaps it
                continue;
            }
            if (r == null) {
                // A task that ended before the spawner recorded it, or an orphan adopted from
                // some task: one spawn at a time, so once none is under way, it is an orphan.
                synchronized (this) {
                    while (spawning) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }
                r = running.get(pid);
                if (r == null) {
                    if (!stopWatching) {
                        posix.reap(pid);
                    }
                    continue;
                }
            }
            ProcStat zombie = ProcFs.stat(pid).orElse(null);
            ExitStatus status = zombie == null ? new ExitStatus(255, -1) : ExitStatus.fromWaitStatus(zombie.exitCode());
            posix.reap(pid);
            running.remove(pid);
            Running done = r;
            killer.execute(() -> finish(done, status));
        }
    }

    /** After the task's own exit: kill what it left, then report. */
    private void finish(Running r, ExitStatus status) {
        int leftovers = 0;
        TreeTerminator t = r.terminator();
        if (!t.empty()) {
            KillReport k = t.kill(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
            leftovers = k.killed();
        }
        r.outcome.complete(new TaskOutcome(status.code(), Math.max(0, status.signal()), r.timedOut,
                System.nanoTime() - r.spawnedAt, leftovers));
    }

    /** Tasks started and not yet ended. */
    public int running() {
        return running.size();
    }

    /** Stops every task still running (SIGKILL to its tree) and the runner's threads. */
    @Override
    public void close() {
        closed = true;
        spawner.shutdown();
        try {
            spawner.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Running r : running.values()) {
            r.timedOut = true;
            killer.execute(() -> r.terminator().kill(System.nanoTime() + TimeUnit.SECONDS.toNanos(5)));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!running.isEmpty() && System.nanoTime() - deadline < 0) {
            sleep(5); // the watcher reaps them
        }
        stopWatching = true;
        for (Running r : running.values()) {
            r.outcome.completeExceptionally(new IllegalStateException("the runner was closed"));
        }
        if (guardian != null) {
            guardian.release();
        }
        // The watcher may be blocked in waitid while this JVM has other children: a child that
        // exits at once wakes it, and it then sees that the runner is closed.
        while (watcher.isAlive() && System.nanoTime() - deadline < 0) {
            try {
                OwnedChildren.start(new ProcessBuilder("true")).waitFor();
                watcher.join(100);
            } catch (IOException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        killer.shutdown();
        timer.shutdownNow();
        try {
            killer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            posix.stopBeingSubreaper(); // later orphans of this JVM go to init again
        } catch (PlatformException e) {
            Log.debug("cannot stop being the child subreaper: " + e.getMessage());
        }
        OPEN.set(false);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
