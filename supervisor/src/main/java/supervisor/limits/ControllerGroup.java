package supervisor.limits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import supervisor.platform.Cgroups;

/**
 * A cgroup directory that enforces one resource controller ("memory" or "pids") for one task:
 * the task's own cgroup2 leaf when that controller is enabled for it, or else a directory of its
 * own in the controller's cgroup v1 hierarchy (a hybrid layout such as this project's machines).
 */
final class ControllerGroup {
    final String controller;
    final Path dir;
    final boolean v1;

    private ControllerGroup(String controller, Path dir, boolean v1) {
        this.controller = controller;
        this.dir = dir;
        this.v1 = v1;
    }

    /**
     * The controller for a task: in its cgroup2 leaf if the leaf has {@code limitFile}, else a new
     * directory in the writable v1 hierarchy; empty when neither exists.
     *
     * @param created told the path of a v1 directory just before it is made, so that whoever must
     *     remove it should this JVM die (the guardian) knows it first
     */
    static Optional<ControllerGroup> create(String controller, String v2LimitFile, Path v2Leaf,
                                            Consumer<Path> created) throws IOException {
        if ("0".equals(System.getenv("SUPERVISOR_CGROUP_LIMITS"))) {
            return Optional.empty(); // the fallbacks, on demand (tests, or a cgroup layout that misleads)
        }
        if (v2Leaf != null && Files.exists(v2Leaf.resolve(v2LimitFile))) {
            return Optional.of(new ControllerGroup(controller, v2Leaf, false));
        }
        Optional<Path> parent = Cgroups.writableV1Parent(controller);
        if (parent.isEmpty()) {
            return Optional.empty();
        }
        String name = "supervisor-" + Cgroups.randomName();
        Path dir = parent.get().resolve(name);
        created.accept(dir);
        Files.createDirectory(dir);
        return Optional.of(new ControllerGroup(controller, dir, true));
    }

    String where() {
        return (v1 ? "cgroup v1 " : "cgroup ") + dir;
    }

    void write(String file, String value) throws IOException {
        Cgroups.write(dir, file, value);
    }

    /** The count after {@code key} in a flat-keyed file ("oom_kill 1"), or 0. */
    long count(String file, String key) {
        return Math.max(0, Cgroups.value(dir, file, key));
    }

    /** Removes a v1 directory once its processes are gone (retries while they exit). */
    void remove() {
        if (!v1) {
            return;
        }
        for (int i = 0; i < 50 && !Cgroups.remove(dir); i++) {
            LockSupport.parkNanos(10_000_000);
        }
    }
}
