package tasks.worker;

import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/** A task whose constructor throws: its worker sends FATAL and exits 1. */
public final class ThrowingConstructorTask implements Task {
    public ThrowingConstructorTask() {
        throw new IllegalStateException("no licence for this machine");
    }

    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        return input;
    }
}
