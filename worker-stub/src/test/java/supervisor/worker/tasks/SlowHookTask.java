package supervisor.worker.tasks;

import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/** Echoes; its shutdown hook takes 300 ms, as a task that flushes something on exit does. */
public final class SlowHookTask implements Task {
    public SlowHookTask() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Thread.sleep(300); // the task's own work at exit, not a wait for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
    }

    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        return input;
    }
}
