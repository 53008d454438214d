package supervisor.worker.tasks;

import java.nio.charset.StandardCharsets;
import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/** Answers as many bytes as its input says; "null" answers null. */
public final class SizedResultTask implements Task {
    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        String text = new String(input, StandardCharsets.UTF_8);
        return text.equals("null") ? null : new byte[Integer.parseInt(text)];
    }
}
