package supervisor.worker.tasks;

import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/** Cannot be instantiated: its constructor throws. */
public final class FailingConstructorTask implements Task {
    public FailingConstructorTask() {
        throw new IllegalStateException("no database today");
    }

    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        return input;
    }
}
