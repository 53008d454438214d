package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * {@code supervisor run --wait-descendants} (tini #180, dumb-init #80), on the program path and both
 * termination mechanisms: what the task left running when it exited is waited for, not stopped, and
 * the status is the task's own; the timeout still stops the leftovers. Without the option they are
 * stopped at once. Real processes; each test proves nothing is left.
 */
class WaitDescendantsIT {
    private static final Duration LONG = Duration.ofSeconds(60);

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void runWaitsForWhatTheProgramLeftAndKeepsItsStatus(Route route, @TempDir Path dir) throws Exception {
        Path done = dir.resolve("done");
        // A setsid'ed leftover that finishes its work (a file) a second after the task has exited.
        try (Supervisor s = Supervisor.builder("run", "--wait-descendants", "--timeout", "30s", "--",
                        "sh", "-c", "setsid sh -c 'sleep 1; touch \"$0\"' " + done + " & exit 3")
                .route(route).start()) {
            assertEquals(3, s.exitCode(LONG), s.stderr());
            assertTrue(Files.exists(done), "the leftover ran to its end before the supervisor exited: " + s.stderr());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void runWithoutTheOptionStopsWhatTheProgramLeft(Route route, @TempDir Path dir) throws Exception {
        Path done = dir.resolve("done");
        try (Supervisor s = Supervisor.builder("run", "--timeout", "30s", "--grace", "1s", "--",
                        "sh", "-c", "setsid sh -c 'sleep 5; touch \"$0\"' " + done + " & exit 3")
                .route(route).start()) {
            assertEquals(3, s.exitCode(LONG), s.stderr());
        } // close: the leftover is gone, so it never writes the file
        assertFalse(Files.exists(done), "the leftover was stopped");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Route.class)
    void runStopsTheLeftoversItWaitsForAtTheTimeout(Route route) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--wait-descendants", "--timeout", "2s", "--grace", "1s",
                        "--no-thread-dump", "--", "sh", "-c", "setsid sleep 1000 & exit 0")
                .route(route).start()) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
        }
    }
}
