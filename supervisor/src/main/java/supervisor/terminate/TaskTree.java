package supervisor.terminate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;

/**
 * Finds every process that belongs to one task, by layers that each catch what another misses:
 * <ol>
 *   <li>the task itself, and every process in the session or process group it leads;</li>
 *   <li>processes whose environment carries the task's marker ({@code SUPERVISOR_TASK=id}),
 *       which survives setsid and double forks, though not a cleared environment;</li>
 *   <li>orphans reparented to this supervisor, its child subreaper (when it supervises one task);</li>
 *   <li>every descendant, by parent pid, of anything found above.</li>
 * </ol>
 * Nothing started before the task can be one of its processes, so older processes are never read
 * further: that keeps a scan to a few milliseconds and keeps the supervisor's hands off the rest
 * of the machine.
 *
 * <p>Why a session or group id is safe to trust: the kernel does not hand out a pid again while
 * any process still uses it as its session or group id, so while one member exists the id is ours.
 *
 * <p>Not thread-safe: one terminator uses it at a time.
 */
public final class TaskTree {
    public static final String MARKER_VARIABLE = "SUPERVISOR_TASK";

    private final ProcessId task;
    private final byte[] markerEntry;
    private final boolean claimOrphans;
    private final IntPredicate foreign;
    private final int self = (int) ProcessHandle.current().pid();
    // Only positive answers are kept: a process may exec with the marker after a scan saw it
    // without (a child between fork and exec still has its parent's environment).
    private final Set<ProcessId> marked = new HashSet<>();

    /**
     * @param task the task's root process
     * @param marker the value of {@link #MARKER_VARIABLE} in the task's environment, or null
     * @param claimOrphans true when every orphan adopted by this supervisor is this task's (one
     *     task per supervisor, as in {@code supervisor run})
     * @param foreign pids that are never members (the guardian, other tasks' roots)
     */
    public TaskTree(ProcessId task, String marker, boolean claimOrphans, IntPredicate foreign) {
        this.task = task;
        this.markerEntry = marker == null ? null
                : (MARKER_VARIABLE + "=" + marker).getBytes(StandardCharsets.UTF_8);
        this.claimOrphans = claimOrphans;
        this.foreign = foreign;
    }

    public ProcessId task() {
        return task;
    }

    /** The members that exist now, zombies included (callers skip {@link ProcStat#isDead()}). */
    public List<ProcStat> members() {
        List<ProcStat> candidates = new ArrayList<>();
        Map<Integer, List<ProcStat>> children = new HashMap<>();
        for (ProcStat p : ProcFs.scan()) {
            if (p.startTime() < task.startTime() || p.pid() == self || foreign.test(p.pid())) {
                continue;
            }
            candidates.add(p);
            children.computeIfAbsent(p.ppid(), k -> new ArrayList<>()).add(p);
        }
        List<ProcStat> found = new ArrayList<>();
        ArrayDeque<ProcStat> queue = new ArrayDeque<>();
        Set<Integer> seen = new HashSet<>();
        for (ProcStat p : candidates) {
            if (isRoot(p) && seen.add(p.pid())) {
                queue.add(p);
            }
        }
        while (!queue.isEmpty()) {
            ProcStat p = queue.poll();
            found.add(p);
            for (ProcStat c : children.getOrDefault(p.pid(), List.of())) {
                if (seen.add(c.pid())) {
                    queue.add(c);
                }
            }
        }
        return found;
    }

    /**
     * Among {@code members}, the processes that another supervisor holds: every descendant of a
     * member that is itself a supervisor JVM (a nested {@code timeout}, {@code run} or
     * {@code pool}), which gets a polite signal itself and acts on it for its own tree, as one GNU
     * timeout inside another does for its process group. A kill reaches them all the same.
     *
     * @param supervisorWord a word of a supervisor JVM's command line, and of no other's (its main class)
     */
    public Set<Integer> heldByNestedSupervisors(List<ProcStat> members, String supervisorWord) {
        byte[] word = supervisorWord.getBytes(StandardCharsets.UTF_8);
        Map<Integer, List<ProcStat>> children = new HashMap<>();
        for (ProcStat p : members) {
            children.computeIfAbsent(p.ppid(), k -> new ArrayList<>()).add(p);
        }
        Set<Integer> held = new HashSet<>();
        ArrayDeque<ProcStat> queue = new ArrayDeque<>();
        for (ProcStat p : members) {
            if (!p.isDead() && ProcFs.cmdlineHasWord(p.pid(), word)) {
                queue.addAll(children.getOrDefault(p.pid(), List.of()));
            }
        }
        while (!queue.isEmpty()) {
            ProcStat p = queue.poll();
            if (held.add(p.pid())) {
                queue.addAll(children.getOrDefault(p.pid(), List.of()));
            }
        }
        return held;
    }

    private boolean isRoot(ProcStat p) {
        if (p.pid() == task.pid()) {
            return p.startTime() == task.startTime();
        }
        if (p.session() == task.pid() || p.pgrp() == task.pid()) {
            return true;
        }
        if (claimOrphans && p.ppid() == self) {
            return true;
        }
        if (markerEntry == null) {
            return false;
        }
        if (marked.contains(p.id())) {
            return true;
        }
        if (ProcFs.environContains(p.pid(), markerEntry)) {
            marked.add(p.id());
            return true;
        }
        return false;
    }
}
