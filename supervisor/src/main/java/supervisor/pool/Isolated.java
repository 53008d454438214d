package supervisor.pool;

import java.time.Duration;
import supervisor.worker.WorkerCallable;

/**
 * One call in a JVM of its own, started for it and stopped after it, as Python's
 * {@code Process(target=f)}: for code run rarely, where a warm {@link WorkerPool} is not worth
 * keeping. It costs a JVM start (about 0.2 s here) per call.
 * <pre>{@code
 * String text = Isolated.call(() -> LegacyPdf.extractText(bytes), Duration.ofSeconds(30));
 * }</pre>
 */
public final class Isolated {
    private Isolated() {}

    /**
     * Runs {@code code} in a new JVM with this JVM's class path, and stops that JVM and every
     * process it started once the call is over: an orderly stop after a value, at once after
     * anything else (a timeout does not wait the grace twice).
     *
     * @see WorkerPool#call(WorkerCallable, Duration) for what it returns and throws
     * @throws WorkerStartException when the JVM cannot start
     */
    public static <T, E extends Exception> T call(WorkerCallable<T, E> code, Duration timeout) throws E {
        return call(code, timeout, PoolSettings.forClassPath().jmx(false).name("isolated"));
    }

    /**
     * As {@link #call(WorkerCallable, Duration)}, in a JVM started with {@code settings} (its JVM
     * options, limits, class path...), whose number of workers this sets to one.
     */
    public static <T, E extends Exception> T call(WorkerCallable<T, E> code, Duration timeout,
            PoolSettings.Builder settings) throws E {
        WorkerPool pool = WorkerPool.start(settings.workers(1).build());
        boolean done = false;
        try {
            T value = pool.call(code, timeout);
            done = true;
            return value;
        } finally {
            if (done) {
                pool.close(); // the worker's orderly end: its shutdown hooks run
            } else {
                pool.shutdownNow(); // after a timeout or a crash the JVM is of no more use: no grace
            }
        }
    }
}
