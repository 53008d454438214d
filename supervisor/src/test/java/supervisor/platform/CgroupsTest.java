package supervisor.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where a cgroup is seen, from mountinfo lines as a host, a container and a hybrid machine show them. */
class CgroupsTest {
    private static final String HOST_V2 = "36 35 0:30 / /sys/fs/cgroup/unified rw,nosuid shared:5 - cgroup2 cgroup2 rw";
    private static final String HOST_V1_MEMORY =
            "40 35 0:34 / /sys/fs/cgroup/memory rw,nosuid shared:9 - cgroup cgroup rw,memory";

    @Test
    void aWholeHierarchyHoldsTheFullPath() {
        assertEquals(Path.of("/sys/fs/cgroup/unified/user.slice/a"),
                Cgroups.dirOf(List.of(HOST_V2), "cgroup2", null, "/user.slice/a"));
        assertEquals(Path.of("/sys/fs/cgroup/unified"), Cgroups.dirOf(List.of(HOST_V2), "cgroup2", null, "/"));
    }

    @Test
    void aMountOfPartOfTheHierarchyIsReadFromItsRoot() {
        // A container without a cgroup namespace: its own cgroup bound at the usual place.
        String partial = "700 690 0:30 /machine.slice/libpod-1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw";
        assertEquals(Path.of("/sys/fs/cgroup"),
                Cgroups.dirOf(List.of(partial), "cgroup2", null, "/machine.slice/libpod-1"));
        assertEquals(Path.of("/sys/fs/cgroup/init.scope"),
                Cgroups.dirOf(List.of(partial), "cgroup2", null, "/machine.slice/libpod-1/init.scope"));
    }

    @Test
    void aMountThatDoesNotHoldTheCgroupIsNeverUsed() {
        String other = "700 690 0:30 /machine.slice/libpod-2 /sys/fs/cgroup rw - cgroup2 cgroup2 rw";
        assertNull(Cgroups.dirOf(List.of(other), "cgroup2", null, "/machine.slice/libpod-1"));
        // A root that is a prefix of the name, not of the path.
        assertNull(Cgroups.dirOf(List.of(other), "cgroup2", null, "/machine.slice/libpod-22"));
    }

    @Test
    void theMountClosestToTheCgroupWins() {
        String partial = "700 36 0:30 /user.slice /mnt/user\\040slice rw - cgroup2 cgroup2 rw";
        assertEquals(Path.of("/mnt/user slice/a"),
                Cgroups.dirOf(List.of(HOST_V2, partial), "cgroup2", null, "/user.slice/a"));
        assertEquals(Path.of("/mnt/user slice/a"),
                Cgroups.dirOf(List.of(partial, HOST_V2), "cgroup2", null, "/user.slice/a"));
    }

    @Test
    void v1IsFoundByItsController() {
        assertEquals(Path.of("/sys/fs/cgroup/memory/a"),
                Cgroups.dirOf(List.of(HOST_V2, HOST_V1_MEMORY), "cgroup", "memory", "/a"));
        assertNull(Cgroups.dirOf(List.of(HOST_V2, HOST_V1_MEMORY), "cgroup", "pids", "/a"));
        assertNull(Cgroups.dirOf(List.of(HOST_V1_MEMORY), "cgroup2", null, "/a"));
    }
}
