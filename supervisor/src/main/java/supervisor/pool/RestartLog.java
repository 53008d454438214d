package supervisor.pool;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** How often one slot's worker was replaced, and why: for {@link WorkerPool#restartsByWorker}. */
final class RestartLog {
    private final int worker;
    private long restarts; // guarded by this
    private final Map<String, Long> reasons = new LinkedHashMap<>(); // guarded by this

    RestartLog(int worker) {
        this.worker = worker;
    }

    /** A replacement started: counted with the reason its predecessor ended (null: unknown). */
    synchronized void count(String reason) {
        restarts++;
        reasons.merge(reason == null ? "unknown" : reason, 1L, Long::sum);
    }

    synchronized WorkerRestarts snapshot() {
        return new WorkerRestarts(worker, restarts, Collections.unmodifiableMap(new LinkedHashMap<>(reasons)));
    }
}
