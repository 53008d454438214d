package supervisor.terminate;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntPredicate;
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

    private OwnedChildren() {
    }

    /** Starts a process and registers it until the JDK has reaped it. */
    public static Process start(ProcessBuilder builder) throws IOException {
        LOCK.lock();
        try {
            Process p = builder.start();
            int pid = (int) p.pid();
            PIDS.add(pid);
            p.onExit().thenRun(() -> PIDS.remove(pid));
            return p;
        } finally {
            LOCK.unlock();
        }
    }

    /** Registers a child that was not started through {@link #start}. */
    public static void own(int pid) {
        PIDS.add(pid);
    }

    public static void disown(int pid) {
        PIDS.remove(pid);
    }

    public static boolean owned(int pid) {
        return PIDS.contains(pid);
    }

    /** Reaps adopted zombies other than the owned ones, and {@code alsoOwned}. */
    public static int reap(Posix posix, IntPredicate alsoOwned) {
        return reap(posix, alsoOwned, pid -> false);
    }

    /** As {@link #reap(Posix, IntPredicate)}, and also the zombies {@code ours} names in this JVM's session. */
    public static int reap(Posix posix, IntPredicate alsoOwned, IntPredicate ours) {
        LOCK.lock();
        try {
            return Reaper.reapZombieChildren(posix, pid -> PIDS.contains(pid) || alsoOwned.test(pid), ours);
        } finally {
            LOCK.unlock();
        }
    }
}
