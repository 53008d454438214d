package supervisor.terminate;

import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntPredicate;
import supervisor.launch.ExitStatus;
import supervisor.platform.Platform;
import supervisor.platform.Posix;

/**
 * The children of this JVM whose exit status someone else collects: every {@link Process} the
 * supervisor spawns, and an adopted task whose status is read from /proc. The {@link Reaper}
 * leaves them alone. Spawning and reaping take one lock, so a child is always registered before
 * a reaper can see it as a zombie.
 */
public final class OwnedChildren {
    private static final Set<Integer> PIDS = ConcurrentHashMap.newKeySet();
    private static final ReentrantLock LOCK = new ReentrantLock();
    /** How long a reap waits for a spawn in progress before it leaves the zombies to the next round. */
    private static final long REAP_WAIT_MILLIS = 50;
    /** The exits of the processes {@link #start} started, until each has happened. */
    private static final Map<Process, CompletableFuture<Process>> EXITS =
            Collections.synchronizedMap(new IdentityHashMap<>());
    /**
     * The true ends of the processes {@link #start} started, read from the kernel (see {@link
     * #exitStatus}); held as long as their {@link Process} is (Process keeps Object's identity).
     */
    private static final Map<Process, ExitStatus> ENDS = Collections.synchronizedMap(new WeakHashMap<>());
    /** A waiter only blocks in {@link Process#waitFor()}: the smallest stack a thread may have will do. */
    private static final long WAITER_STACK = 64 * 1024;

    private OwnedChildren() {
    }

    /** Starts a process and registers it until the JDK has reaped it. */
    public static Process start(ProcessBuilder builder) throws IOException {
        LOCK.lock();
        try {
            Process p = builder.start();
            int pid = (int) p.pid();
            PIDS.add(pid);
            ExitRecord record = new ExitRecord();
            EXITS.put(p, waitFor(p, () -> {
                int raw = record.read();
                if (raw >= 0) {
                    ENDS.put(p, ExitStatus.fromWaitStatus(raw));
                }
                PIDS.remove(pid);
                EXITS.remove(p);
            }));
            // The native layer loads in the background (60-120 ms): the spawn does not wait for
            // it. A task that ends before it is loaded keeps the JDK's ambiguous value.
            Platform.whenLoaded(posix -> record.open(posix, p));
            return p;
        } finally {
            LOCK.unlock();
        }
    }

    /**
     * A pidfd of a child, from which the kernel's wait status is read once the JDK has reaped it
     * (Linux 6.15+). Opened late, on the native loader's thread, so it is trusted only if the JDK
     * had not yet seen the exit after it was opened: reaping comes before that, so the pid was
     * still this child's, not a reused one. The exit's waiter takes it, or leaves it to be closed.
     */
    private static final class ExitRecord {
        private static final int PENDING = -2;
        private static final int NONE = -1;
        private final AtomicInteger fd = new AtomicInteger(PENDING);
        private volatile Posix posix;

        void open(Posix posix, Process p) {
            this.posix = posix;
            int opened = posix.openExitRecord((int) p.pid());
            if (opened < 0) {
                fd.compareAndSet(PENDING, NONE);
                return;
            }
            if (!p.isAlive() || !fd.compareAndSet(PENDING, opened)) {
                posix.exitRecord(opened); // too late to trust, or the exit was read: only closes it
            }
        }

        /** The raw wait status, or -1; once, by the exit's waiter. */
        int read() {
            int opened = fd.getAndSet(NONE);
            return opened < 0 ? -1 : posix.exitRecord(opened); // closes it
        }
    }

    /**
     * How {@code p} ended, once it has: the one place that decodes a child's end. For a process
     * {@link #start} started, the kernel's wait status where it keeps one for a pidfd (Linux
     * 6.15+): it tells an exit with 143 from a death by SIGTERM. Else the JDK's value, which
     * cannot (see {@link ExitStatus#fromJdk}).
     */
    public static CompletableFuture<ExitStatus> exitStatus(Process p) {
        return exit(p).thenApply(x -> {
            ExitStatus known = ENDS.get(p);
            return known != null ? known : ExitStatus.fromJdk(x.exitValue());
        });
    }

    /**
     * As {@link #exitStatus}, for a process that has ended (not {@link Process#isAlive()}): its
     * waiter reads the kernel's status just after the JDK's reaping, so this waits at most 1 s
     * for it, then takes the JDK's value.
     */
    public static ExitStatus ended(Process p) {
        try {
            return exitStatus(p).get(1, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return ExitStatus.fromJdk(p.exitValue());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitStatus.fromJdk(p.exitValue());
        }
    }

    /**
     * Completes when {@code p} has exited and the JDK has its status, as {@link Process#onExit()}
     * does, but sooner: onExit() completes through an asynchronous task, on a thread that is
     * started (or taken from the common pool) at the moment of the exit, which cost 2-3 ms of a
     * one-shot run's critical path. Here a thread of its own already waits for it.
     */
    public static CompletableFuture<Process> exit(Process p) {
        CompletableFuture<Process> f = EXITS.get(p);
        return f != null ? f : waitFor(p, () -> { });
    }

    private static CompletableFuture<Process> waitFor(Process p, Runnable then) {
        CompletableFuture<Process> exited = new CompletableFuture<>();
        Thread waiter = new Thread(null, () -> {
            boolean interrupted = false;
            while (true) {
                try {
                    p.waitFor();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // nobody interrupts it; should someone, the exit still counts
                }
            }
            then.run();
            exited.complete(p);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }, "supervisor-exit-" + p.pid(), WAITER_STACK);
        waiter.setDaemon(true);
        waiter.start();
        return exited;
    }

    /** Registers a child that was not started through {@link #start}. */
    public static void own(int pid) {
        PIDS.add(pid);
    }

    public static void disown(int pid) {
        PIDS.remove(pid);
    }

    /**
     * Reaps the adopted orphans' zombies (not a Process's of this JVM, nor a registered child's),
     * for up to {@code nanos} while some are left: for a subreaper about to stop being one.
     */
    public static void reapAdoptedWithin(Posix posix, long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (reap(posix, pid -> false) >= 0 && Reaper.youngZombies() && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    public static boolean owned(int pid) {
        return PIDS.contains(pid);
    }

    /**
     * Runs {@code action} while no process is being spawned through {@link #start} (so every
     * child this JVM spawned is registered); false, without running it, when a spawn held the
     * lock for longer than {@link #SPAWN_WAIT_MILLIS}.
     */
    public static boolean whileNotSpawning(Runnable action) {
        try {
            if (!LOCK.tryLock(SPAWN_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                return false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            action.run();
            return true;
        } finally {
            LOCK.unlock();
        }
    }

    /** See {@link #whileNotSpawning}: longer than a spawn takes on a loaded machine. */
    private static final long SPAWN_WAIT_MILLIS = 3000;

    /** Reaps adopted zombies other than the owned ones, and {@code alsoOwned}. */
    public static int reap(Posix posix, IntPredicate alsoOwned) {
        return reap(posix, alsoOwned, pid -> false);
    }

    /** As {@link #reap(Posix, IntPredicate)}, and also the zombies {@code ours} names in this JVM's session. */
    public static int reap(Posix posix, IntPredicate alsoOwned, IntPredicate ours) {
        // A spawn holds the lock until its child has exec'd, which a child stopped before its exec
        // delays (a guardian's spawn is bounded at 2 s): reaping is not worth waiting for, zombies
        // keep, and the next round reaps them. A kill or a clean-up must not wait on a spawn.
        try {
            if (!LOCK.tryLock(REAP_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                return 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        try {
            return Reaper.reapZombieChildren(posix, pid -> PIDS.contains(pid) || alsoOwned.test(pid), ours);
        } finally {
            LOCK.unlock();
        }
    }
}
