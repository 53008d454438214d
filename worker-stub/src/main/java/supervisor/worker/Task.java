package supervisor.worker;

/**
 * The code a pool worker runs. A worker jar names its implementation in its manifest
 * ({@code Task-Class: com.example.MyTask}); the class needs a public no-arg constructor, and one
 * instance serves every call of that worker, one call at a time.
 *
 * <p>A call may be cancelled (its timeout expired, or the caller cancelled the future). The task
 * sees it through {@code cancel}, and the thread running the call is interrupted. A task that
 * ignores both is stopped the hard way: its whole worker JVM is killed after the grace period.
 */
public interface Task {
    /**
     * Runs one call.
     *
     * @param input the caller's bytes, never null (empty for an empty call)
     * @param cancel tells whether this call has been cancelled
     * @return the result bytes; null is answered as an empty result
     * @throws Exception any failure; the caller receives its class, message and stack trace
     */
    byte[] call(byte[] input, Cancellation cancel) throws Exception;
}
