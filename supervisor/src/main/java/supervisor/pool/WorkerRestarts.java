package supervisor.pool;

import java.util.Map;

/**
 * How often one worker of a pool was replaced, and why.
 *
 * @param worker the worker's place in the pool, from 1 (its JVMs are named w1, w1.2, ...)
 * @param restarts worker JVMs started to replace the one before (as {@link PoolStats#workerRestarts()}
 *     counts them, for this worker alone)
 * @param reasons each restart's reason, with its count, in the order first seen: {@code crashed}
 *     (it died during a call), {@code timeout} or {@code cancelled} (a call did not stop within the
 *     grace and it was killed), {@code protocol} (it broke the protocol), {@code fatal_error} (an
 *     Error such as OutOfMemoryError in a call), {@code max_calls} (recycled), {@code ended_while_idle},
 *     {@code stopped_reading} (it stopped reading its input while a call was written to it: the
 *     call went to the next worker),
 *     {@code start_failed} (the replacement before did not start), {@code supervisor_error}, or
 *     {@code stopped}, {@code unknown}
 */
public record WorkerRestarts(int worker, long restarts, Map<String, Long> reasons) {
}
