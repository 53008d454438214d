package supervisor.limits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cgroup directory that enforces one resource controller ("memory" or "pids") for one task:
 * the task's own cgroup2 leaf when that controller is enabled for it, or else a directory of its
 * own in the controller's cgroup v1 hierarchy (a hybrid layout such as this project's machines).
 */
final class ControllerGroup {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    final String controller;
    final Path dir;
    private final boolean v1;

    private ControllerGroup(String controller, Path dir, boolean v1) {
        this.controller = controller;
        this.dir = dir;
        this.v1 = v1;
    }

    /**
     * The controller for a task: in its cgroup2 leaf if the leaf has {@code limitFile}, else a new
     * directory in the writable v1 hierarchy; empty when neither exists.
     */
    static Optional<ControllerGroup> create(String controller, String v2LimitFile, Path v2Leaf) {
        if ("0".equals(System.getenv("SUPERVISOR_CGROUP_LIMITS"))) {
            return Optional.empty(); // the fallbacks, on demand (tests, or a cgroup layout that misleads)
        }
        if (v2Leaf != null && Files.exists(v2Leaf.resolve(v2LimitFile))) {
            return Optional.of(new ControllerGroup(controller, v2Leaf, false));
        }
        try {
            Path mount = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                int dash = line.indexOf(" - ");
                if (dash < 0 || !line.startsWith("cgroup ", dash + 3)) {
                    continue;
                }
                String[] after = line.substring(dash + 3).split(" ");
                if (after.length >= 3 && List.of(after[2].split(",")).contains(controller)) {
                    mount = Path.of(line.substring(0, dash).split(" ")[4]);
                }
            }
            if (mount == null) {
                return Optional.empty();
            }
            String own = null;
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && List.of(f[1].split(",")).contains(controller)) {
                    own = f[2];
                }
            }
            if (own == null) {
                return Optional.empty();
            }
            Path parent = mount.resolve(own.startsWith("/") ? own.substring(1) : own);
            if (!Files.isWritable(parent)) {
                return Optional.empty();
            }
            Path dir = parent.resolve("supervisor-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet());
            Files.createDirectory(dir);
            return Optional.of(new ControllerGroup(controller, dir, true));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    String where() {
        return (v1 ? "cgroup v1 " : "cgroup ") + dir;
    }

    void write(String file, String value) throws IOException {
        Files.writeString(dir.resolve(file), value);
    }

    void admit(int pid) throws IOException {
        if (v1) {
            write("cgroup.procs", Integer.toString(pid));
        }
        // A cgroup2 leaf is the task's containment leaf: the task is in it already.
    }

    /** The count after {@code key} in a flat-keyed file ("oom_kill 1"), or 0. */
    long count(String file, String key) {
        try {
            for (String line : Files.readAllLines(dir.resolve(file))) {
                if (line.startsWith(key + " ")) {
                    return Long.parseLong(line.substring(key.length() + 1).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Removes a v1 directory once its processes are gone (retries while they exit). */
    void remove() {
        if (!v1) {
            return;
        }
        for (int i = 0; i < 50; i++) {
            try {
                Files.deleteIfExists(dir);
                return;
            } catch (IOException e) {
                java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
        }
    }
}
