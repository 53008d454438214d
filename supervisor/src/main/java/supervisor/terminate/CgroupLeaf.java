package supervisor.terminate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import supervisor.platform.Cgroups;

/**
 * A cgroup v2 directory of one task's own. Every process in it, however it forked, setsid'ed or
 * cleared its environment, is killed by one write to {@code cgroup.kill} (Linux 5.14+). It needs a
 * writable cgroup2 hierarchy: root, or a systemd unit with {@code Delegate=yes}.
 */
public final class CgroupLeaf {
    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    private final Path dir;

    private CgroupLeaf(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Takes a freshly made cgroup2 directory as a task's leaf (its name was recorded with the
     * guardian before it was made: see {@code supervisor.process.Guardian}).
     *
     * @throws IOException when the kernel has no cgroup.kill (Linux 5.14 or later needed); the
     *     directory is removed
     */
    public static CgroupLeaf adopt(Path dir) throws IOException {
        if (!Files.exists(dir.resolve("cgroup.kill"))) {
            Cgroups.remove(dir);
            throw new IOException("cgroup.kill is missing in " + dir + " (Linux 5.14 or later needed)");
        }
        return new CgroupLeaf(dir);
    }

    /** Moves a process (all its threads) into this leaf. */
    public void add(int pid) throws IOException {
        Cgroups.admit(dir, pid);
    }

    /** SIGKILL to every process in the leaf, by the kernel, at once. */
    public void kill() throws IOException {
        Cgroups.write(dir, "cgroup.kill", "1");
    }

    /** True while any process is in the leaf (zombies have left it). */
    public boolean populated() throws IOException {
        long populated = Cgroups.value(dir, "cgroup.events", "populated");
        if (populated < 0) {
            throw new IOException("cannot read " + dir.resolve("cgroup.events"));
        }
        return populated > 0;
    }

    public List<Integer> pids() throws IOException {
        return Cgroups.pids(dir);
    }

    /** Waits until the leaf is empty; false if the deadline passed first. */
    public boolean awaitEmpty(long deadlineNanos) throws IOException {
        while (populated()) {
            if (System.nanoTime() - deadlineNanos > 0) {
                return false;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }

    /** Removes the leaf; false if it is still populated or already gone. */
    public boolean remove() {
        return Cgroups.remove(dir);
    }
}
