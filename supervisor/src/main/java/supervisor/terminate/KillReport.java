package supervisor.terminate;

import java.util.List;
import java.util.Locale;
import supervisor.platform.ProcessId;

/**
 * What a kill did.
 *
 * @param killed how many processes were sent SIGKILL
 * @param nanos how long it took, from the first signal to the last process seen dead
 * @param survivors processes still alive when the deadline passed (empty on success)
 */
public record KillReport(int killed, long nanos, List<ProcessId> survivors) {
    public boolean complete() {
        return survivors.isEmpty();
    }

    public String millis() {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }
}
