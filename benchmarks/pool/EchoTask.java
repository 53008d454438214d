import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/** The benchmark's worker task: answers with its input. */
public final class EchoTask implements Task {
    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        return input;
    }
}
