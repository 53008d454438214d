package supervisor.pool;

/** Where a pool is in its life; it only moves forward, one way: see {@link WorkerPool#close(java.time.Duration)}. */
enum PoolPhase {
    /** Takes calls. */
    OPEN,
    /** Closed to new calls; the calls submitted already run until close's deadline. */
    DRAINING,
    /** Past the deadline: queued calls fail, running ones are stopped, workers end. */
    ABANDONING,
    /** Closed: no thread, descriptor or worker of the pool is left. */
    FINISHED;

    boolean atLeast(PoolPhase p) {
        return compareTo(p) >= 0;
    }
}
