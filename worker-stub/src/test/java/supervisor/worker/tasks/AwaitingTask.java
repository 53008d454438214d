package supervisor.worker.tasks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/**
 * Input "MILLIS" or "MILLIS throw": says "awaiting call" on stderr, waits up to MILLIS for
 * cancellation, then answers "cancelled interrupted=BOOL" or "not cancelled interrupted=BOOL"
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
        boolean cancelled = cancel.await(wait);
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
}
