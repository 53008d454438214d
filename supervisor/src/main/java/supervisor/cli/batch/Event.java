package supervisor.cli.batch;

import java.io.IOException;

/** What the batch's main loop reacts to. Handlers and threads only post these. */
sealed interface Event {
    record Signalled(int signal) implements Event { }
    record ReaderEnded(IOException failure) implements Event { }
    record WriterEnded(IOException failure) implements Event { }
    record PoolClosed() implements Event { }
    record Fatal(String thread, Throwable error) implements Event { }
}
