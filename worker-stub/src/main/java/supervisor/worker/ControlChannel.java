package supervisor.worker;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import supervisor.worker.protocol.FrameReader;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;

/**
 * The supervisor's second channel to a worker: a FIFO it made and holds open for writing, named
 * in its HELLO ({@link Hello#CONTROL}). CANCEL comes on it, so that it reaches a call that runs
 * while the call thread, the only reader of stdin, is busy; its end means the supervisor is gone.
 */
final class ControlChannel {
    private ControlChannel() {}

    /**
     * Opens the FIFO the supervisor's HELLO names, then removes its name: the descriptor is all
     * the worker needs, and the task, which may list and clean its temporary directory, never
     * sees it. Opening does not wait: the supervisor holds the FIFO open before it says HELLO.
     *
     * @throws ProtocolException if the HELLO names none, or the path cannot be opened or is not a FIFO
     */
    static FrameReader open(Hello hello, int maxFrameLength) throws ProtocolException {
        String named = hello.properties().get(Hello.CONTROL);
        if (named == null || named.isEmpty()) {
            throw new ProtocolException("the supervisor's HELLO names no control channel (key "
                    + Hello.CONTROL + ")");
        }
        Path path = Path.of(named);
        if (!Files.exists(path) || Files.isRegularFile(path) || Files.isDirectory(path)) {
            // A regular file would read as frames from a disk; refuse anything but a FIFO (or a pipe).
            throw new ProtocolException("the control channel " + path + " is not a FIFO");
        }
        FileInputStream in;
        try {
            in = new FileInputStream(path.toFile());
        } catch (IOException e) {
            throw new ProtocolException("cannot open the control channel " + path + ": " + e.getMessage());
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // Kept: the supervisor removes the worker's temporary directory, FIFO and all.
        }
        return new FrameReader(in, maxFrameLength);
    }
}
