/**
 * Public API: a pool of warm worker JVMs that run calls in isolation.
 *
 * <p>{@link supervisor.pool.WorkerPool} starts with {@link supervisor.pool.PoolSettings} and takes
 * calls; each returns a {@link supervisor.pool.CallFuture}, completed exactly once by the pool with
 * the result or one of the {@link supervisor.pool.PoolException} subclasses. A worker runs a
 * {@link supervisor.worker.Task} (module {@code worker-stub}). Messages are logged through the
 * {@link java.lang.System.Logger} named {@code supervisor}.
 *
 * <p>The public types of this package are the API; everything else of supervisor, except
 * {@code supervisor.runner}, {@code supervisor.ztexec} and {@code supervisor.worker}, is internal.
 */
package supervisor.pool;
