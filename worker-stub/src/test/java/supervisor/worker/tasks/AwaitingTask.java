package supervisor.worker.tasks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/**
 * Input "MILLIS" or "MILLIS throw": says "awaiting call" on stderr, waits up to MILLIS for
 * cancellation (saying "call parked" once it waits there), then answers "cancelled
 * interrupted=BOOL" or "not cancelled interrupted=BOOL"
 * (the thread's interrupt status), or with "throw" calls {@link Cancellation#throwIfCancelled()}.
 */
public final class AwaitingTask implements Task {
    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        String[] words = new String(input, StandardCharsets.UTF_8).split(" ");
        // Made before the line that says the task waits: Duration's first use initialises classes
        // (BigInteger), long enough for a cancel to find the task there rather than waiting.
        Duration wait = Duration.ofMillis(Long.parseLong(words[0]));
        System.err.println("awaiting call");
        Thread watcher = sayWhenParked(Thread.currentThread());
        boolean cancelled = cancel.await(wait);
        watcher.interrupt();
        if (cancelled) {
            System.err.println("call cancelled");
        }
        if (words.length > 1 && words[1].equals("throw")) {
            cancel.throwIfCancelled();
        }
        String answer = (cancelled ? "cancelled" : "not cancelled")
                + " interrupted=" + Thread.currentThread().isInterrupted();
        return answer.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Says "call parked" once {@code caller} waits with a timeout (in {@code await}): "awaiting
     * call" comes before the wait, and on a loaded machine a cancel sent on seeing it could find
     * the task still printing the line. Polls at a watcher's pace; ends with the call.
     */
    private static Thread sayWhenParked(Thread caller) {
        Thread watcher = new Thread(() -> {
            while (caller.getState() != Thread.State.TIMED_WAITING) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                if (Thread.interrupted()) {
                    return; // the call is over
                }
            }
            System.err.println("call parked");
        }, "awaiting-task-watcher");
        watcher.setDaemon(true);
        watcher.start();
        return watcher;
    }
}
