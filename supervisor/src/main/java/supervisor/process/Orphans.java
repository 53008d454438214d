package supervisor.process;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import supervisor.log.Log;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;
import supervisor.terminate.OwnedChildren;
import supervisor.terminate.TaskTree;
import supervisor.terminate.TreeTerminator;

/**
 * The orphans a child subreaper (a pool worker that made itself one) hands to this JVM as it
 * ends. While it lived, every orphan among its descendants was reparented to it, so stayed in
 * its tree; at its exit the kernel reparents them to this JVM, the next subreaper up, where no
 * tree claims them (with many workers in one JVM, an orphan that cleared its environment and
 * left its session names no worker). Right after such an end they are told apart from this JVM's
 * other children: see {@link #killLeftBy}.
 */
public final class Orphans {
    private static final byte[] MARKER = (TaskTree.MARKER_VARIABLE + "=").getBytes(StandardCharsets.UTF_8);

    private Orphans() {
    }

    /**
     * Kills the trees of this JVM's children that {@code ended}, a child subreaper that has
     * exited and been reaped, left to it: every live child of this JVM that was started after
     * {@code ended} and is none of these: in this JVM's session (a host application's own
     * process: every supervised process leads a session of its own), a {@link Process} or task
     * someone owns, a guardian, a process carrying a task marker (its own task's tree finds it),
     * or one {@code known} names.
     *
     * @param known children that are not the ended process's orphans (those that existed before
     *     it ended, when the caller cannot claim every other orphan of this JVM)
     * @return how many orphans were found
     */
    public static int killLeftBy(ProcessId ended, IntPredicate known) {
        if (!ProcFs.available()) {
            return 0;
        }
        int self = (int) ProcessHandle.current().pid();
        List<ProcessId> found = new ArrayList<>();
        // Under the spawn lock: a worker being spawned, setsid'ed already but not yet registered
        // as owned, would look just like an orphan.
        if (!OwnedChildren.whileNotSpawning(() -> {
            int session = ProcFs.stat(self).map(ProcStat::session).orElse(-1);
            for (ProcStat p : ProcFs.scan()) {
                if (p.ppid() == self && !p.isDead() && p.startTime() >= ended.startTime() && p.session() != session
                        && !OwnedChildren.owned(p.pid()) && !Guardian.isGuardian(p.pid()) && !known.test(p.pid())
                        && !ProcFs.environHasPrefix(p.pid(), MARKER)) {
                    found.add(p.id());
                }
            }
        })) {
            Log.warn("cannot look for the orphans of pid " + ended.pid() + ": a process spawn held the spawn lock"
                    + " for too long; they may outlive the pool");
            return 0;
        }
        for (ProcessId orphan : found) {
            Log.debug("killing the tree of pid " + orphan.pid() + ", an orphan left by pid " + ended.pid());
            TreeTerminator tree = new TreeTerminator(new TaskTree(orphan, null, false, Guardian::isGuardian),
                    pid -> OwnedChildren.owned(pid) || Guardian.isGuardian(pid));
            tree.kill(System.nanoTime() + SupervisedProcess.KILL_BUDGET_NANOS);
        }
        return found.size();
    }
}
