package examples;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/**
 * An example pool worker, standing in for a wrapper around a risky native library: it upper-cases
 * its input, takes its time when asked ("slow ..."), and honours cancellation while it waits.
 */
public final class ShoutTask implements Task {
    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        String text = new String(input, StandardCharsets.UTF_8);
        if (text.startsWith("slow ") && cancel.await(Duration.ofSeconds(30))) {
            throw new CancellationException("cancelled while slow");
        }
        return text.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
    }
}
