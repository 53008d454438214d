/**
 * The child side of a pool worker: the {@code Task} API for worker jars, {@code WorkerCallable}
 * for the caller's own code, and the wire protocol (exported to the supervisor only). JDK only.
 */
module supervisor.worker {
    exports supervisor.worker;
    exports supervisor.worker.protocol to supervisor;
}
