package supervisor.process;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import supervisor.launch.ExitStatus;
import supervisor.log.Log;
import supervisor.platform.Daemons;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.Posix;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.terminate.OwnedChildren;

/**
 * Observes the exits of this JVM's detached processes ({@link SupervisedProcess#startDetached})
 * with one thread, whatever their number: a {@link Process} would cost a JDK reaper thread each.
 *
 * <p>A detached process is started through {@code setsid --fork}, whose first process exits at
 * once, so the process is reparented to this JVM, its child subreaper. The watcher's thread waits
 * for any child with {@code waitid(P_ALL, WNOWAIT)}; for a watched one it reads the exit status
 * from the zombie's /proc entry, then reaps it. Other zombies are not its own: a {@link Process}'s
 * is left to the JDK, an adopted orphan's goes to {@link OwnedChildren#reap}, the one reaper.
 *
 * <p>Every watched pid is registered with {@link OwnedChildren} before the process may exit (its
 * launcher holds it until then), so no other reaper of this JVM can take its status. The watcher
 * holds a guardian lease for its whole life, so that the guardian is not restarted between
 * one-shot processes.
 *
 * <p>One per JVM: two would reap each other's children. Linux only. Thread-safe.
 */
public final class ChildWatcher implements AutoCloseable {
    private static final AtomicBoolean OPEN = new AtomicBoolean();
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Posix posix;
    private final Map<Integer, CompletableFuture<ExitStatus>> watched = new ConcurrentHashMap<>();
    private final Guardian.Lease lease;
    private final Thread thread;
    private volatile boolean closing;

    private ChildWatcher(Posix posix) {
        this.posix = posix;
        Subreaper.hold(posix);
        this.lease = Guardian.lease();
        this.thread = Daemons.start(this::watch, "supervisor-child-watcher");
    }

    /**
     * Makes this JVM the child subreaper and starts the watcher's thread.
     *
     * @throws IllegalStateException when a watcher is open already in this JVM
     * @throws PlatformException when the native layer is missing (not Linux)
     */
    public static ChildWatcher start() {
        if (!OPEN.compareAndSet(false, true)) {
            throw new IllegalStateException("a TaskRunner (child watcher) is already open in this JVM: close it first");
        }
        try {
            return new ChildWatcher(Platform.posix());
        } catch (RuntimeException e) {
            OPEN.set(false);
            throw e;
        }
    }

    /**
     * Watches {@code pid}, a child of this JVM (or soon: once its launcher has exited). Call
     * before the process can exit. The future completes on the watcher's thread: attach only
     * quick actions to it, or use the {@code ...Async} variants.
     */
    CompletableFuture<ExitStatus> watch(int pid) {
        if (closing) {
            throw new IllegalStateException("the child watcher is closed");
        }
        CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
        watched.put(pid, exit);
        OwnedChildren.own(pid);
        return exit;
    }

    /** How many processes are watched: started and not yet reaped. */
    public int watched() {
        return watched.size();
    }

    private void watch() {
        long backoff = 0;
        while (!closing) {
            int pid;
            try {
                pid = posix.awaitAnyChildExit();
            } catch (PlatformException e) {
                Log.error("the child watcher stopped: " + e.getMessage());
                failAll(e);
                return;
            }
            if (pid < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // no child at all right now
                continue;
            }
            CompletableFuture<ExitStatus> exit = watched.get(pid);
            if (exit != null) {
                collect(pid, exit);
                backoff = 0;
                continue;
            }
            // Not ours. waitid returns the first zombie it finds, so while this one stays (a
            // Process's until the JDK reaps it), ours behind it are looked for directly.
            if (collectDead() > 0 || !OwnedChildren.owned(pid) && OwnedChildren.reap(posix, p -> false) > 0) {
                backoff = 0;
                continue;
            }
            backoff = Math.min(MAX_BACKOFF_NANOS, Math.max(TimeUnit.MILLISECONDS.toNanos(1), backoff * 2));
            LockSupport.parkNanos(backoff);
        }
    }

    private int collectDead() {
        int n = 0;
        for (Map.Entry<Integer, CompletableFuture<ExitStatus>> e : watched.entrySet()) {
            if (ProcFs.stat(e.getKey()).map(ProcStat::isDead).orElse(false)) {
                collect(e.getKey(), e.getValue());
                n++;
            }
        }
        return n;
    }

    /**
     * The status is read from the zombie before it is released to other reapers (disowned), so
     * whoever reaps it, the status is known; and the pid is disowned before it can be reused.
     */
    private void collect(int pid, CompletableFuture<ExitStatus> exit) {
        ProcStat zombie = ProcFs.stat(pid).orElse(null);
        ExitStatus status;
        if (zombie != null && zombie.isDead()) {
            status = ExitStatus.fromWaitStatus(zombie.exitCode());
        } else {
            Log.debug("pid " + pid + " was reaped by someone else: its exit status is unknown");
            status = new ExitStatus(255, -1);
        }
        watched.remove(pid);
        OwnedChildren.disown(pid);
        posix.reap(pid);
        exit.complete(status);
    }

    private void failAll(Exception cause) {
        for (Map.Entry<Integer, CompletableFuture<ExitStatus>> e : watched.entrySet()) {
            watched.remove(e.getKey());
            OwnedChildren.disown(e.getKey());
            e.getValue().completeExceptionally(cause);
        }
    }

    /**
     * Stops the watcher's thread and fails the exits of processes still watched (kill them
     * first); this JVM stops being the child subreaper, so later orphans go to init again,
     * unless its tasks held by their tree still need it ({@link Subreaper#release}).
     * Returns within about 10 s.
     */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        // waitid blocks while this JVM has children that live (the guardian, say): a child that
        // exits at once wakes it, and it then sees that the watcher is closing.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.isAlive() && System.nanoTime() - deadline < 0) {
            try {
                OwnedChildren.start(new ProcessBuilder(Helpers.SH, "-c", "exit 0")).waitFor();
                thread.join(100);
            } catch (IOException e) {
                Log.debug("cannot wake the child watcher: " + e.getMessage());
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        failAll(new IllegalStateException("the child watcher was closed"));
        lease.release();
        // The orphans adopted so far, which nobody else will reap once this JVM stops being the
        // subreaper: those that just died are reaped once their moment has passed (Reaper).
        OwnedChildren.reapAdoptedWithin(posix, TimeUnit.MILLISECONDS.toNanos(100));
        Subreaper.release(posix);
        OPEN.set(false);
    }
}
