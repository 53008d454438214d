package supervisor.terminate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntPredicate;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;

/**
 * Chooses and sets up the mechanism for one task: a cgroup leaf when the machine allows one
 * (prepared before the task starts, so it can join at once), the process tree otherwise.
 */
public final class Containment {
    private final CgroupLeaf leaf; // null: process tree only

    private Containment(CgroupLeaf leaf) {
        this.leaf = leaf;
    }

    /** The process tree alone. */
    public static Containment none() {
        return new Containment(null);
    }

    /**
     * @throws IOException when {@link Mechanism#CGROUP} was demanded and cannot be had; the
     *     message says why
     */
    public static Containment prepare(Mechanism mechanism) throws IOException {
        if (mechanism == Mechanism.TREE || !ProcFs.available()) {
            return new Containment(null);
        }
        Optional<Path> parent = CgroupLeaf.writableParent();
        if (parent.isEmpty()) {
            if (mechanism == Mechanism.CGROUP) {
                throw new IOException("no writable cgroup2 hierarchy with cgroup.kill here"
                        + " (needs root, or a systemd unit with Delegate=yes)");
            }
            return new Containment(null);
        }
        try {
            return new Containment(CgroupLeaf.create(parent.get()));
        } catch (IOException e) {
            if (mechanism == Mechanism.CGROUP) {
                throw new IOException("cannot create a cgroup below " + parent.get() + ": " + e.getMessage(), e);
            }
            return new Containment(null);
        }
    }

    /** Moves the freshly started task into the leaf, if there is one. */
    public void admit(int pid) {
        if (leaf != null) {
            try {
                leaf.add(pid);
            } catch (IOException e) {
                // The task may have died already; the process tree still holds it.
            }
        }
    }

    /** Removes the leaf of a task that never started. */
    public void discard() {
        if (leaf != null) {
            leaf.remove();
        }
    }

    public String leafPath() {
        return leaf == null ? null : leaf.dir().toString();
    }

    /**
     * @param marker the task's SUPERVISOR_TASK value
     * @param claimOrphans true when this supervisor runs this one task only
     * @param foreign pids never to treat as the task's (the guardian)
     * @param doNotReap pids whose exit status someone else collects
     */
    public Terminator terminator(ProcessId task, String marker, boolean claimOrphans,
                                 IntPredicate foreign, IntPredicate doNotReap) {
        if (!ProcFs.available()) {
            return new PortableTerminator(task);
        }
        TreeTerminator tree = new TreeTerminator(new TaskTree(task, marker, claimOrphans, foreign), doNotReap);
        return leaf == null ? tree : new CgroupTerminator(leaf, tree);
    }
}
