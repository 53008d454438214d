package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import supervisor.testing.Procs;
import supervisor.testing.RunsAlone;
import supervisor.testing.Supervisor;

/**
 * 100 {@code supervisor run}s at once, on tasks that end at once with statuses of their own, twice:
 * no race between a task's end and the supervisor's changes a status, and nothing is left (no
 * process, no cgroup directory, no temporary directory). The pool under kills is PoolChaosIT.
 */
@RunsAlone
class LoadIT {
    private static final Duration LONG = Duration.ofMinutes(3);

    @Test
    void run_aHundredAtOnceEachReportsItsTasksOwnStatus() throws Exception {
        Set<String> before = Procs.supervisorLeftovers();
        for (int round = 0; round < 2; round++) {
            List<Supervisor> all = new ArrayList<>();
            try {
                for (int i = 0; i < 100; i++) {
                    all.add(Supervisor.builder("run", Supervisor.TASKS.toString(), "--", "exit", Integer.toString(i % 60)).start());
                }
                for (int i = 0; i < all.size(); i++) {
                    Supervisor s = all.get(i);
                    assertEquals(i % 60, s.exitCode(LONG), "round " + round + ", run " + i + ": " + s.stderr());
                    assertEquals("", s.stderr(), "round " + round + ", run " + i);
                }
            } finally {
                all.forEach(Supervisor::close); // each checks that nothing of its run is left
            }
        }
        Set<String> after = Procs.supervisorLeftovers();
        after.removeAll(before);
        assertEquals(Set.of(), after, "cgroup or temporary directories left");
    }

}
