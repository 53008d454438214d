package supervisor.worker.tasks;

import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/** Says "spinning" on stderr, then spins forever, clearing interrupts and ignoring cancellation. */
public final class SpinningTask implements Task {
    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        System.err.println("spinning");
        while (true) {
            Thread.interrupted();
            Thread.onSpinWait();
        }
    }
}
