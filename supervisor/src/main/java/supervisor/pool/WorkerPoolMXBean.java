package supervisor.pool;

/**
 * A pool's numbers for monitoring tools (JConsole, VisualVM, a Prometheus JMX exporter, Jolokia):
 * each open {@link WorkerPool} registers one on the platform MBean server as
 * {@code supervisor:type=WorkerPool,name=NAME} (see {@link PoolSettings.Builder#name} and
 * {@link PoolSettings.Builder#jmx}), and unregisters it when it is closed.
 *
 * <p>Counts run from the pool's start; each submitted call is counted in exactly one outcome once
 * it has completed, as in {@link PoolStats}. Gauges ({@code InFlight}, {@code Queued},
 * {@code WorkersAlive}) are read at the moment they are asked for. Latencies are in milliseconds,
 * from submit to result, over the most recent calls that returned a result (at most 8192: memory
 * stays bounded); 0 before the first; computed at most every 100 ms, so that a tool reading the
 * four one after the other sees one consistent set.
 */
public interface WorkerPoolMXBean {
    /** The pool's name, as in its ObjectName. */
    String getName();

    /** Workers the pool keeps, as configured. */
    int getWorkers();

    /** Workers that have said READY and not ended since. */
    int getWorkersAlive();

    /** Calls running on a worker now. */
    int getInFlight();

    /** Calls waiting for a worker now. */
    int getQueued();

    /** Calls accepted by submit. */
    long getSubmitted();

    /** Calls that returned a result. */
    long getSucceeded();

    /** Calls whose task threw. */
    long getTaskFailed();

    /** Calls that ran past their timeout. */
    long getTimedOut();

    /** Calls whose worker died, or that no worker could be started for. */
    long getCrashed();

    /** Calls whose worker broke the protocol, or that failed in the supervisor. */
    long getProtocolErrors();

    /** Calls cancelled by their caller, or failed by close or a closed pool. */
    long getCancelled();

    /**
     * Calls refused at submit: the pool was closing, or had given up starting workers (a rising
     * count on a pool that should be open). Each is also counted in its outcome, {@code Cancelled}
     * or {@code Crashed}.
     */
    long getRejected();

    /** Attempts made again after a crash. */
    long getRetried();

    /** Worker JVMs started, replacements included. */
    long getWorkerStarts();

    /** Worker JVMs started to replace one that died, was killed or recycled. */
    long getWorkerRestarts();

    /** Median latency, in milliseconds. */
    double getLatencyP50Millis();

    /** 90th percentile latency, in milliseconds. */
    double getLatencyP90Millis();

    /** 99th percentile latency, in milliseconds. */
    double getLatencyP99Millis();

    /** Highest latency in the window, in milliseconds. */
    double getLatencyMaxMillis();

    /**
     * {@code up}, {@code degraded} (fewer workers ready than configured, or starts failing in a
     * row) or {@code down} (past the restart intensity: calls fail at once, one start at a time is
     * tried at a slow rate); see {@link PoolStats#state()}.
     */
    String getState();

    /** Worker starts that failed. */
    long getFailedStarts();

    /** Workers killed by a signal from outside while they started (not counted as failed starts). */
    long getKilledStarts();

    /** Why the last start failed or was killed; null if none did. */
    String getLastStartFailure();

    /** While down, milliseconds until the next start is tried; -1 otherwise. */
    long getNextProbeMillis();
}
