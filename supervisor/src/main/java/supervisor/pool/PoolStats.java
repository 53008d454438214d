package supervisor.pool;

/**
 * A snapshot of a pool's counters. Latencies run from submit to completion, in milliseconds,
 * over the most recent calls (up to 8192) that returned a result.
 *
 * @param submitted calls accepted by submit
 * @param succeeded calls that returned a result
 * @param taskFailed calls whose task threw
 * @param timedOut calls that ran past their timeout
 * @param crashed calls whose worker died
 * @param protocolErrors calls whose worker broke the protocol
 * @param cancelled calls cancelled by the caller or by close
 * @param retried attempts made again after a crash or a timeout
 * @param workerStarts worker JVMs started, replacements included
 * @param workerRestarts worker JVMs started to replace one that died, was killed or recycled
 * @param queued calls waiting for a worker now
 * @param state {@code up} (every worker ready, no start failing), {@code degraded} (fewer workers
 *     ready than configured, or starts failing in a row) or {@code down} (past the restart
 *     intensity: calls fail at once while one start at a time is tried)
 * @param failedStarts worker starts that failed (the first starts' included)
 * @param killedStarts workers killed by a signal from outside while they started (not failures)
 * @param lastStartFailure why the last start failed or was killed; null if none did
 * @param nextProbeMillis while down, milliseconds until the next start is tried; -1 otherwise
 */
public record PoolStats(long submitted, long succeeded, long taskFailed, long timedOut, long crashed,
                        long protocolErrors, long cancelled, long retried, long workerStarts,
                        long workerRestarts, int queued, double p50Millis, double p90Millis,
                        double p99Millis, double maxMillis, String state, long failedStarts,
                        long killedStarts, String lastStartFailure, long nextProbeMillis) {
}
