package tasks.worker;

import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/** A task whose static initialiser ends the JVM with status 7, after a line on stderr. */
public final class ExitingInitTask implements Task {
    static {
        System.err.println("ExitingInitTask: native library not found");
        System.exit(7);
    }

    @Override
    public byte[] call(byte[] input, Cancellation cancel) {
        return input;
    }
}
