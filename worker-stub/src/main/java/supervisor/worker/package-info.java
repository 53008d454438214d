/**
 * Public API: what a worker jar implements. A {@link supervisor.worker.Task} answers calls and
 * watches its {@link supervisor.worker.Cancellation}; the jar names it in its manifest
 * ({@code Task-Class}). {@link supervisor.worker.WorkerMain} is the worker JVM's entry point,
 * started by the pool: not called by tasks. JDK only.
 */
package supervisor.worker;
