package supervisor.pool;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;

/**
 * The supervisor's end of a worker's control channel ({@link Hello#CONTROL}): a FIFO in the
 * worker's private temporary directory, which this JVM makes before it says HELLO and holds open
 * for reading and writing, so that the worker's open of it never waits and its end comes only
 * when this JVM closes it or is gone. The worker removes the name once it has opened it.
 *
 * <p>A write here never blocks: only CANCEL goes this way, at most one per call sent to the
 * worker, and a worker holds at most {@link Hello#MAX_PIPELINE} calls: 1024 frames of 13 bytes
 * fit in a pipe's 64 KiB, read or not.
 */
final class ControlFifo {
    /** The name in the worker's private temporary directory. */
    static final String NAME = "supervisor-control";

    private final Path path;
    private final RandomAccessFile file;
    private final FrameWriter writer;

    private ControlFifo(Path path, RandomAccessFile file) throws IOException {
        this.path = path;
        this.file = file;
        this.writer = new FrameWriter(new FileOutputStream(file.getFD()), Frame.MIN_MAX_LENGTH);
    }

    /**
     * Makes the FIFO in {@code dir} (a directory this JVM made for the worker) and opens it.
     * Mode 0644: the worker may run as another user (a sandbox), and the directory, 0700, lets no
     * one else reach it.
     */
    static ControlFifo make(Path dir, String workerId) throws IOException {
        if (dir == null) {
            throw new IOException("cannot make the control channel of worker " + workerId
                    + ": it has no private temporary directory");
        }
        Path path = dir.resolve(NAME);
        if (path.toString().indexOf('\n') >= 0) {
            // A HELLO value is one line.
            throw new IOException("cannot name the control channel of worker " + workerId
                    + " in HELLO: its temporary directory's path holds a newline (java.io.tmpdir)");
        }
        try {
            Platform.posix().makeFifo(path, 0644);
        } catch (PlatformException e) {
            mkfifo(path, workerId, e);
        }
        // "rw": O_RDWR, which opens a FIFO at once on Linux, where O_WRONLY would wait for the worker.
        return new ControlFifo(path, new RandomAccessFile(path.toFile(), "rw"));
    }

    /** Without the native layer: coreutils' mkfifo. */
    private static void mkfifo(Path path, String workerId, PlatformException why) throws IOException {
        Process p = new ProcessBuilder("mkfifo", "-m", "644", path.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (p.isAlive() || p.exitValue() != 0 || !Files.exists(path)) {
            throw new IOException("cannot make the control channel of worker " + workerId + " at " + path
                    + ": " + why.getMessage() + ", and mkfifo failed too");
        }
    }

    Path path() {
        return path;
    }

    void send(Frame frame) throws IOException {
        writer.write(frame);
    }

    /** Closes this JVM's end: once the worker has ended, or it would take it as the supervisor gone. */
    void close() {
        try {
            file.close();
        } catch (IOException e) {
            // nothing to do
        }
        try {
            Files.deleteIfExists(path); // if the worker never opened it
        } catch (IOException e) {
            // its directory goes with the worker
        }
    }
}
