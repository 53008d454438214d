package supervisor.terminate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A cgroup v2 directory of one task's own. Every process in it, however it forked, setsid'ed or
 * cleared its environment, is killed by one write to {@code cgroup.kill} (Linux 5.14+). It needs a
 * writable cgroup2 hierarchy: root, or a systemd unit with {@code Delegate=yes}.
 */
public final class CgroupLeaf {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

    private final Path dir;

    private CgroupLeaf(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /**
     * The cgroup2 directory this process is in, if it is writable and supports cgroup.kill;
     * empty otherwise (no cgroup2 mount, no permission, an old kernel).
     */
    public static Optional<Path> writableParent() {
        try {
            Optional<Path> mount = cgroup2Mount();
            if (mount.isEmpty()) {
                return Optional.empty();
            }
            String own = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                if (line.startsWith("0::")) {
                    own = line.substring(3);
                }
            }
            if (own == null) {
                return Optional.empty();
            }
            Path dir = mount.get().resolve(own.startsWith("/") ? own.substring(1) : own);
            if (Files.isWritable(dir) && Files.exists(dir.resolve("cgroup.kill"))
                    || Files.isWritable(dir) && own.equals("/")) {
                // The root cgroup has no cgroup.kill of its own, but its children do.
                return Optional.of(dir);
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<Path> cgroup2Mount() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            // "36 35 0:30 / /sys/fs/cgroup/unified rw,... shared:5 - cgroup2 cgroup2 rw"
            int dash = line.indexOf(" - ");
            if (dash < 0 || !line.startsWith("cgroup2 ", dash + 3)) {
                continue;
            }
            String[] f = line.substring(0, dash).split(" ");
            return Optional.of(Path.of(f[4].replace("\\040", " ")));
        }
        return Optional.empty();
    }

    /** Creates a new leaf below {@code parent}. */
    public static CgroupLeaf create(Path parent) throws IOException {
        String name = "supervisor-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
        Path dir = parent.resolve(name);
        Files.createDirectory(dir);
        if (!Files.exists(dir.resolve("cgroup.kill"))) {
            Files.delete(dir);
            throw new IOException("cgroup.kill is missing in " + dir + " (Linux 5.14 or later needed)");
        }
        return new CgroupLeaf(dir);
    }

    /** Moves a process (all its threads) into this leaf. */
    public void add(int pid) throws IOException {
        Files.writeString(dir.resolve("cgroup.procs"), Integer.toString(pid));
    }

    /** SIGKILL to every process in the leaf, by the kernel, at once. */
    public void kill() throws IOException {
        Files.writeString(dir.resolve("cgroup.kill"), "1");
    }

    /** True while any process is in the leaf (zombies have left it). */
    public boolean populated() throws IOException {
        for (String line : Files.readAllLines(dir.resolve("cgroup.events"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("populated ")) {
                return !line.endsWith(" 0");
            }
        }
        return false;
    }

    public List<String> pids() throws IOException {
        return Files.readAllLines(dir.resolve("cgroup.procs"));
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
        try {
            Files.deleteIfExists(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
