package supervisor.worker.tasks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/** Throws IllegalStateException("boom: INPUT") caused by an IOException; "null" throws without message. */
public final class ThrowingTask implements Task {
    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        String text = new String(input, StandardCharsets.UTF_8);
        if (text.equals("null")) {
            throw new UnsupportedOperationException();
        }
        throw new IllegalStateException("boom: " + text, new IOException("root cause"));
    }
}
