package supervisor.pool;

import java.time.Duration;

/**
 * The call ran past its timeout. Its worker was then sent a cancel, and killed and replaced if
 * the call did not stop within the grace.
 *
 * <p>Where the call was: {@link #workerStack()} holds the stack of the worker's call thread at
 * the timeout, as the worker sent it in answer to the cancel, and {@link #getCause()} is a
 * throwable with those frames, so that {@code printStackTrace} shows them under
 * {@code Caused by:}. The future completes once the stack has arrived, or
 * {@link WorkerPool#MAX_STACK_WAIT} (at most the grace) after the timeout without it (a frozen
 * worker, a worker killed meanwhile, a stub that does not send stacks).
 */
public final class CallTimeoutException extends PoolException {
    private static final long serialVersionUID = 1L;
    private static final StackTraceElement[] NONE = new StackTraceElement[0];
    private final Duration timeout;
    private final StackTraceElement[] workerStack;

    CallTimeoutException(String message, Duration timeout) {
        this(message, timeout, NONE, null);
    }

    /**
     * @param message what timed out, where; the top frame is appended
     * @param where the call and worker the stack belongs to, for the cause's message
     */
    CallTimeoutException(String message, Duration timeout, StackTraceElement[] workerStack, String where) {
        super(workerStack.length == 0 ? message : message + ", at " + workerStack[0],
                workerStack.length == 0 ? null : new WorkerStackTrace(where + ", at the timeout", workerStack));
        this.timeout = timeout;
        this.workerStack = workerStack.clone();
    }

    /** The timeout the call ran past (counted from the start of its last attempt on a worker). */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The stack of the worker's thread that ran the call, at the timeout, top frame first (at most
     * 64 frames; no class loader or module names). Empty when the worker sent none within the
     * bound, or the call had not started in it.
     */
    public StackTraceElement[] workerStack() {
        return workerStack.clone();
    }
}
