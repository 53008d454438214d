package supervisor.ztexec;

import java.time.Duration;
import java.util.List;

/**
 * What a {@link TreeProcessStopper#stop} killed.
 *
 * @param killed how many processes were sent SIGKILL
 * @param took from the first signal to the last process seen dead
 * @param survivors the pids still alive when the kill's deadline passed; empty when it was complete
 */
public record StopReport(int killed, Duration took, List<Long> survivors) {
    public StopReport {
        survivors = List.copyOf(survivors);
    }

    /** Whether nothing of the tree survived. */
    public boolean complete() {
        return survivors.isEmpty();
    }
}
