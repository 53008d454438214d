package supervisor.terminate;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import supervisor.platform.Platform;
import supervisor.platform.Posix;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;

/**
 * The best mechanism: the task's cgroup leaf is killed by the kernel in one write. A process tree
 * sweep follows, for whatever the task moved out of its leaf (only root can), and to reap adopted
 * zombies.
 */
public final class CgroupTerminator implements Terminator {
    private final CgroupLeaf leaf;
    private final TreeTerminator sweep;

    public CgroupTerminator(CgroupLeaf leaf, TreeTerminator sweep) {
        this.leaf = leaf;
        this.sweep = sweep;
    }

    @Override
    public String mechanism() {
        return "cgroup " + leaf.dir();
    }

    @Override
    public int terminate(int signal, boolean wholeTree) {
        // The leaf's members are read before anything is signalled: the stop signal goes to what
        // ran when the stop began. What a shutdown hook spawns in answer to it (a helper caught
        // half-way through its exec, say) is not hit by the same signal; the kill takes it later.
        List<Integer> pids = List.of();
        if (wholeTree) {
            try {
                pids = leaf.pids();
            } catch (IOException e) {
                // the sweep's view alone
            }
        }
        int sent = sweep.terminate(signal, wholeTree);
        if (!wholeTree) {
            return sent;
        }
        Set<Integer> nested = sweep.leftToNested();
        // The leaf also holds what hid from the sweep (a cleared environment in a new session);
        // a second signal to a process the sweep found is harmless, and the leaf's count is exact.
        Posix posix = Platform.posix();
        for (int pid : pids) {
            if (!nested.contains(pid)) {
                ProcFs.id(pid).ifPresent(id -> posix.signal(id, signal));
            }
        }
        return Math.max(sent, pids.size());
    }

    @Override
    public KillReport kill(long deadlineNanos) {
        long start = System.nanoTime();
        int inLeaf = 0;
        boolean empty;
        try {
            inLeaf = leaf.pids().size();
            leaf.kill();
            empty = leaf.awaitEmpty(deadlineNanos);
        } catch (IOException e) {
            empty = false; // the sweep below does the work alone
        }
        KillReport rest = sweep.kill(deadlineNanos);
        List<ProcessId> survivors = rest.survivors();
        if (!empty && survivors.isEmpty()) {
            // The leaf did not empty in time, yet the sweep found nobody alive: the leaf's
            // stragglers are processes the sweep cannot see (another user's); report the leaf.
            survivors = List.of(new ProcessId(-1, -1));
        }
        return new KillReport(inLeaf + rest.killed(), System.nanoTime() - start, survivors);
    }

    @Override
    public List<ProcessId> processes() {
        Map<Integer, ProcessId> all = new TreeMap<>();
        try {
            for (int pid : leaf.pids()) {
                ProcFs.id(pid).ifPresent(id -> all.put(pid, id));
            }
        } catch (IOException e) {
            // the sweep's view alone
        }
        sweep.processes().forEach(id -> all.putIfAbsent(id.pid(), id));
        return List.copyOf(all.values());
    }

    @Override
    public boolean empty() {
        try {
            if (leaf.populated()) {
                return false;
            }
        } catch (IOException e) {
            // fall through to the sweep's view
        }
        return sweep.empty();
    }

    @Override
    public void close() {
        leaf.remove();
    }
}
