package supervisor.worker;

import java.time.Duration;
import java.util.concurrent.CancellationException;

/**
 * The cancellation state of one call. Cancelling also interrupts the thread that runs the call.
 * All methods may be called from any thread.
 */
public interface Cancellation {
    /** True once the call has been cancelled. Never goes back to false. */
    boolean isCancelled();

    /** Throws {@link CancellationException} if the call has been cancelled. */
    void throwIfCancelled();

    /**
     * Sleeps for up to {@code timeout}, returning early once the call is cancelled, like
     * Python's {@code Event.wait}.
     *
     * <p>An interrupt that is not a cancellation ends the wait early too: the method then returns
     * {@link #isCancelled()} and leaves the thread's interrupt status set.
     *
     * @return true if the call was cancelled (before or during the wait), false otherwise
     */
    boolean await(Duration timeout);
}
