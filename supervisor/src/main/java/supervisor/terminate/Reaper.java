package supervisor.terminate;

import java.util.function.IntPredicate;
import supervisor.platform.Posix;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;

/**
 * Reaps the orphans this supervisor adopts as child subreaper. The JDK never reaps them (it waits
 * only for the pids it spawned), so without this they stay zombies for as long as the supervisor
 * lives. Only children already seen as zombies are waited for, each by its own pid: never
 * {@code waitpid(-1)}, which could steal the exit status of a {@link Process}.
 */
final class Reaper {
    private static final int SELF = (int) ProcessHandle.current().pid();

    private Reaper() {
    }

    /**
     * @param owned pids whose status someone else collects (JDK processes, observed tasks)
     * @return how many zombies were reaped
     */
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
        for (int pid : ProcFs.children(SELF)) {
            if (owned.test(pid)) {
                continue;
            }
            ProcStat s = ProcFs.stat(pid).orElse(null);
            if (s != null && s.isDead() && s.ppid() == SELF && (s.session() != ownSession || ours.test(pid))
                    && posix.reap(pid) != -1) {
                reaped++;
            }
        }
        return reaped;
    }
}
