package supervisor.terminate;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;
import supervisor.platform.Platform;
import supervisor.platform.Posix;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;
import supervisor.platform.Signal;

/**
 * Kills a process tree without help from cgroups: freeze, rescan, kill.
 *
 * <p>A tree cannot be killed from a snapshot: a process forks between the scan and the signal,
 * and a child that double-forks and calls setsid leaves its parent's group. So every member found
 * is first stopped with SIGSTOP, which it cannot catch; the tree is scanned again until a scan
 * finds no new member and every member is seen stopped. A stopped process cannot fork, so the set
 * is then closed, and SIGKILL goes to all of it. Scans continue until every member is dead; this
 * supervisor, as child subreaper, reaps the orphans it adopted on the way.
 */
public final class TreeTerminator implements Terminator {
    /** How long to wait for a SIGSTOP to land before killing a process that is not seen stopped
     *  (one blocked in the kernel, a vfork parent, say). */
    private static final long STOP_SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    private final TaskTree tree;
    private final IntPredicate doNotReap;
    private final String nestedWord;

    /**
     * @param doNotReap pids whose exit status belongs to someone else (a {@link Process}, or an
     *     observer of the task's status): never waitpid'ed here
     */
    public TreeTerminator(TaskTree tree, IntPredicate doNotReap) {
        this(tree, doNotReap, null);
    }

    /**
     * @param nestedWord when not null, a polite signal to the whole tree stops at a nested
     *     supervisor, a process with this word in its command line: it gets the signal, what it
     *     holds does not (see {@link TaskTree#heldByNestedSupervisors})
     */
    public TreeTerminator(TaskTree tree, IntPredicate doNotReap, String nestedWord) {
        this.tree = tree;
        this.doNotReap = doNotReap;
        this.nestedWord = nestedWord;
    }

    /** The pids a polite signal to the whole tree leaves to a nested supervisor (none unless asked for). */
    Set<Integer> leftToNested() {
        return nestedWord != null ? tree.heldByNestedSupervisors(tree.members(), nestedWord) : Set.of();
    }

    @Override
    public String mechanism() {
        return "process tree (subreaper, session, marker)";
    }

    @Override
    public int terminate(int signal, boolean wholeTree) {
        Posix posix = Platform.posix();
        int group = tree.task().pid(); // the task leads its group, when it was started with setsid
        int sent = 0;
        List<ProcStat> members = tree.members();
        Set<Integer> nested = wholeTree && nestedWord != null ? tree.heldByNestedSupervisors(members, nestedWord) : Set.of();
        for (ProcStat p : members) {
            if (!p.isDead() && !nested.contains(p.pid()) && (wholeTree || p.pgrp() == group || p.id().equals(tree.task()))
                    && posix.signal(p.id(), signal) == Posix.Delivery.SENT) {
                sent++;
            }
        }
        return sent;
    }

    @Override
    public KillReport kill(long deadlineNanos) {
        Posix posix = Platform.posix();
        long start = System.nanoTime();
        Frozen frozen = freeze(posix, deadlineNanos);
        Set<ProcessId> stopped = frozen.stopped();
        Map<ProcessId, Boolean> killed = new LinkedHashMap<>();
        if (frozen.noneAlive()) {
            // The last scan saw no live member (a cgroup killed them all first): nothing is left
            // to fork, so another scan would find the same dead; only the reaping is left, of
            // those dead members.
            tree.members().forEach(p -> killed.put(p.id(), false));
            reapAdopted(posix, killed);
            return new KillReport(0, System.nanoTime() - start, List.of());
        }
        for (ProcessId id : stopped) {
            killed.put(id, posix.signal(id, Signal.KILL) == Posix.Delivery.SENT);
        }
        List<ProcessId> survivors = List.of();
        while (true) {
            List<ProcessId> alive = new ArrayList<>();
            for (ProcStat p : tree.members()) {
                if (p.isDead()) {
                    continue;
                }
                alive.add(p.id());
                if (!killed.containsKey(p.id())) {
                    // Born in the instant between the last freeze scan and its parent's death.
                    killed.put(p.id(), posix.signal(p.id(), Signal.KILL) == Posix.Delivery.SENT);
                }
            }
            reapAdopted(posix, killed);
            if (alive.isEmpty()) {
                break;
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                survivors = alive;
                break;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        int sent = (int) killed.values().stream().filter(b -> b).count();
        return new KillReport(sent, System.nanoTime() - start, survivors);
    }

    /**
     * The members stopped; {@code noneAlive} when the last scan found no live member (so none can
     * fork any more).
     */
    private record Frozen(Set<ProcessId> stopped, boolean noneAlive) {
    }

    /** Stops every member; returns them once a scan finds nothing new and all are stopped. */
    private Frozen freeze(Posix posix, long deadlineNanos) {
        Set<ProcessId> stopped = new HashSet<>();
        long quietSince = 0;
        boolean noneAlive = false;
        while (System.nanoTime() - deadlineNanos < 0) {
            boolean fresh = false;
            boolean settled = true;
            noneAlive = true;
            for (ProcStat p : tree.members()) {
                if (p.isDead()) {
                    continue;
                }
                noneAlive = false;
                if (stopped.add(p.id())) {
                    fresh = true;
                    if (posix.signal(p.id(), Signal.STOP) == Posix.Delivery.GONE) {
                        stopped.remove(p.id());
                    }
                } else if (!p.isStopped()) {
                    settled = false;
                }
            }
            if (!fresh && settled) {
                break;
            }
            long now = System.nanoTime();
            if (fresh) {
                quietSince = 0;
            } else if (quietSince == 0) {
                quietSince = now;
            } else if (now - quietSince > STOP_SETTLE_NANOS) {
                break;
            }
            if (!fresh) {
                LockSupport.parkNanos(POLL_NANOS);
            }
        }
        return new Frozen(stopped, noneAlive);
    }

    /** Reaps zombies among this process's own children that were members of the tree, other than those owned elsewhere. */
    void reapAdopted(Posix posix, Map<ProcessId, Boolean> members) {
        Set<Integer> pids = new HashSet<>();
        members.keySet().forEach(id -> pids.add(id.pid()));
        OwnedChildren.reap(posix, doNotReap, pids::contains);
    }

    @Override
    public List<ProcessId> processes() {
        return tree.members().stream().filter(p -> !p.isDead()).map(ProcStat::id).toList();
    }

    @Override
    public boolean empty() {
        return tree.members().stream().allMatch(ProcStat::isDead);
    }

    @Override
    public void close() {
    }
}
