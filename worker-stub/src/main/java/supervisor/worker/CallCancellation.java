package supervisor.worker;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The {@link Cancellation} of one call; {@link CallRunner} sets it and interrupts the thread. */
final class CallCancellation implements Cancellation {
    private final long callId;
    private volatile boolean cancelled;
    private final CountDownLatch wakeUp = new CountDownLatch(1);

    CallCancellation(long callId) {
        this.callId = callId;
    }

    /**
     * Marks the call cancelled and interrupts {@code thread} (null: the call has not started).
     * The order makes the two look like one event to the task: a thread interrupted by this sees
     * {@link #isCancelled()} true, and an {@link #await} woken by this finds the interrupt set.
     */
    void cancel(Thread thread) {
        cancelled = true;
        if (thread != null) {
            thread.interrupt();
        }
        wakeUp.countDown();
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public void throwIfCancelled() {
        if (isCancelled()) {
            throw new CancellationException("call " + Long.toUnsignedString(callId) + " was cancelled");
        }
    }

    @Override
    public boolean await(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        try {
            wakeUp.await(nanos(timeout), TimeUnit.NANOSECONDS);
            return isCancelled();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return isCancelled();
        }
    }

    private static long nanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return timeout.isNegative() ? 0 : Long.MAX_VALUE;
        }
    }
}
