package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.Cgroups;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * {@code supervisor run} where the cgroup2 mount shows only part of the hierarchy, as a container
 * runtime binds a container's own cgroup without a cgroup namespace: /proc/self/cgroup names the
 * full path, the mount's root field says which part is mounted. The supervisor must find its
 * cgroup there and kill through it, not fall back to the tree without a word.
 */
class CgroupPartialMountIT {
    @Test
    void runFindsItsCgroupBelowAMountOfPartOfTheHierarchy(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Procs.isRoot(), "a mount namespace needs root here (unshare --mount)");
        Optional<Path> parent = Cgroups.writableV2Parent();
        Assumptions.assumeTrue(parent.isPresent(), "no writable cgroup2 directory with cgroup.kill here");
        Path mountPoint = mountPointOf(parent.get());
        Path part = Cgroups.createUnique(parent.get(), "supervisor-test-partial");
        String id = UUID.randomUUID().toString();
        Path report = dir.resolve("report.json");
        // In a private mount namespace: join the new cgroup, then bind it over the hierarchy's mount
        // point, so that the mount's root is that cgroup; then become the supervisor.
        String script = "echo $$ > \"$1/cgroup.procs\" && mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"";
        ProcessBuilder pb = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                "sh", part.toString(), mountPoint.toString(), Supervisor.LAUNCHER.toAbsolutePath().toString(), "run",
                "--report", report.toString(), "--timeout", "60s", Supervisor.TASKS.toString(), "--", "exit", "0")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(false);
        pb.environment().put("SUPERVISOR_TEST_ID", id);
        Process run = pb.start();
        try {
            assertTrue(run.waitFor(60, TimeUnit.SECONDS), "the run ended");
            String err = new String(run.getErrorStream().readAllBytes());
            assertEquals(0, run.exitValue(), err);
            String json = Files.readString(report);
            assertTrue(json.contains("\"mechanism\":\"cgroup\"") || json.contains("\"mechanism\": \"cgroup\""),
                    "the supervisor used its cgroup below the partial mount: " + json + err);
        } finally {
            run.destroyForcibly();
            Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(10));
            Await.until(Duration.ofSeconds(10), "the test's cgroup removed", () -> Cgroups.remove(part) && !Files.exists(part));
        }
    }

    /** The mount point of the cgroup2 hierarchy that holds {@code dir}: the first ancestor on another device. */
    private static Path mountPointOf(Path dir) throws Exception {
        Path point = dir;
        Object dev = Files.getAttribute(dir, "unix:dev");
        while (point.getParent() != null && Files.getAttribute(point.getParent(), "unix:dev").equals(dev)) {
            point = point.getParent();
        }
        return point;
    }
}
