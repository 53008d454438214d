package supervisor.terminate;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import supervisor.platform.Posix;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;

/**
 * Reaps the orphans this supervisor adopts as child subreaper. The JDK never reaps them (it waits
 * only for the pids it spawned), so without this they stay zombies for as long as the supervisor
 * lives. Only children already seen as zombies are waited for, each by its own pid: never
 * {@code waitpid(-1)}, which could steal the exit status of a {@link Process}.
 */
final class Reaper {
    private static final int SELF = (int) ProcessHandle.current().pid();
    /** How long a zombie child of another session that nobody waits for stays before it is reaped. */
    static final long ORPHAN_MOMENT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** When each zombie child (pid and start time) was first seen dead. */
    private static final Map<ProcessId, Long> FIRST_SEEN_DEAD = new ConcurrentHashMap<>();

    private Reaper() {
    }

    /**
     * @param owned pids whose status someone else collects (JDK processes, observed tasks)
     * @return how many zombies were reaped
     */
    /** Whether a zombie child seen dead is waiting for its moment (see {@link #ORPHAN_MOMENT_NANOS}). */
    static boolean youngZombies() {
        return !FIRST_SEEN_DEAD.isEmpty();
    }

    public static int reapZombieChildren(Posix posix, IntPredicate owned) {
        return reapZombieChildren(posix, owned, pid -> false);
    }

    /**
     * @param owned pids whose status someone else collects (JDK processes, observed tasks)
     * @param ours pids known to belong to a supervised tree (seen alive as members), reaped
     *     whatever their session
     * @return how many zombies were reaped
     */
    public static int reapZombieChildren(Posix posix, IntPredicate owned, IntPredicate ours) {
        int reaped = 0;
        // Every supervised process leads a session of its own (setsid), and so does every orphan
        // it leaves, or belongs to one of those sessions. A child in this JVM's own session is
        // someone else's: a host application's Process, whose exit status the JDK must collect.
        int ownSession = ProcFs.stat(SELF).map(ProcStat::session).orElse(-1);
        long now = System.nanoTime();
        Set<ProcessId> dead = new HashSet<>();
        Set<Integer> waitedFor = null; // read once, and only if a zombie of another session is found
        for (int pid : ProcFs.children(SELF)) {
            ProcStat s = ProcFs.stat(pid).orElse(null);
            if (s == null || !s.isDead() || s.ppid() != SELF) {
                continue;
            }
            dead.add(s.id());
            if (owned.test(pid)) {
                continue;
            }
            boolean reap = ours.test(pid);
            if (!reap && s.session() != ownSession) {
                // An adopted orphan, or a host application's Process that called setsid, whose
                // status the JDK's reaper thread is there to collect: it waits for it by name
                // from just after the spawn. One dead for a moment with nobody waiting for it
                // is an orphan (the moment covers a JDK thread not yet in its wait).
                if (waitedFor == null) {
                    waitedFor = ProcFs.waitedForByName(SELF);
                }
                long first = FIRST_SEEN_DEAD.computeIfAbsent(s.id(), id -> now);
                reap = !waitedFor.contains(pid) && now - first >= ORPHAN_MOMENT_NANOS;
            }
            if (reap && posix.reap(pid) != -1) {
                FIRST_SEEN_DEAD.remove(s.id());
                reaped++;
            }
        }
        FIRST_SEEN_DEAD.keySet().retainAll(dead); // reaped by the JDK meanwhile, or gone
        return reaped;
    }
}
