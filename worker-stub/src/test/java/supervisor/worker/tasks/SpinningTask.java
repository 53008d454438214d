package supervisor.worker.tasks;

import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/**
 * Given an empty input, says "spinning" on stderr, then spins forever, clearing interrupts and
 * ignoring cancellation; echoes any other input (a call before the one that spins).
 */
public final class SpinningTask implements Task {
    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        if (input.length > 0) {
            return input;
        }
        System.err.println("spinning");
        while (true) {
            Thread.interrupted();
            Thread.onSpinWait();
        }
    }
}
