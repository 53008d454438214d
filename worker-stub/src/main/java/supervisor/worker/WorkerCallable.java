package supervisor.worker;

import java.io.Serializable;

/**
 * Code to run in a worker JVM: a lambda or method reference handed to
 * {@code WorkerPool.call}, {@code WorkerPool.submit} or {@code Isolated.call}. It crosses to the
 * worker as a serialized lambda, so the worker must load the class that wrote it (a pool
 * {@code forClassPath} shares the caller's class path), and everything it captures must be
 * {@link Serializable}: a captured socket or stream is refused at the call, in the caller.
 *
 * <p>{@code E} is inferred from the lambda's body: a body that throws {@code IOException} makes
 * the call throw {@code IOException}; one that throws no checked exception makes it throw none.
 *
 * @param <T> what the code returns; it must be {@link Serializable} (or null) and acceptable to
 *     the caller's allow-list
 * @param <E> the checked exception the code may throw
 */
@FunctionalInterface
public interface WorkerCallable<T, E extends Exception> extends Serializable {
    /** Runs in the worker. The worker's call thread is interrupted when the call is cancelled. */
    T call() throws E;
}
