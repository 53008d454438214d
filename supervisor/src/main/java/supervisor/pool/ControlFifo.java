package supervisor.pool;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.Posix;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;

/**
 * The supervisor's end of a worker's control channel ({@link Hello#CONTROL}): a FIFO in the
 * worker's private temporary directory, which this JVM makes before it says HELLO and holds open
 * for reading and writing, so that the worker's open of it never waits and its end comes only
 * when this JVM closes it or is gone. The worker removes the name once it has opened it.
 *
 * <p>Only CANCEL goes this way, at most one per call sent to the worker, and a worker holds at
 * most {@link Hello#MAX_PIPELINE} calls: 1024 frames of 13 bytes fit in a pipe's usual 64 KiB,
 * read or not. But a pipe may be smaller (an unprivileged user past fs.pipe-user-pages-soft gets
 * 8 KiB ones), and a write that waited here would never end: this JVM is a reader of the FIFO
 * too, so it stays open for writing after the worker's death, and the thread writing is the
 * worker's slot, which would then neither kill nor replace it. So the FIFO is written without
 * waiting ({@link Posix#openFifo}): a CANCEL it has no room for is a worker that does not read
 * its control channel, to be killed ({@link #send}). Without the native layer, writes wait.
 */
final class ControlFifo {
    /** The name in the worker's private temporary directory. */
    static final String NAME = "supervisor-control";

    private final Path path;
    private final int fd; // from Posix.openFifo, or -1 when written through file
    private final RandomAccessFile file; // without the native layer
    private final FrameWriter writer;
    private boolean closed; // the descriptor, under this object's lock

    private ControlFifo(Path path, int fd, RandomAccessFile file) throws IOException {
        this.path = path;
        this.fd = fd;
        this.file = file;
        this.writer = file == null ? null : new FrameWriter(new FileOutputStream(file.getFD()), Frame.MIN_MAX_LENGTH);
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
        Posix posix;
        try {
            posix = Platform.posix();
            posix.makeFifo(path, 0644);
        } catch (PlatformException e) {
            mkfifo(path, workerId, e);
            // "rw": O_RDWR, which opens a FIFO at once on Linux, where O_WRONLY would wait for the worker.
            return new ControlFifo(path, -1, new RandomAccessFile(path.toFile(), "rw"));
        }
        try {
            return new ControlFifo(path, posix.openFifo(path), null);
        } catch (PlatformException e) {
            Files.deleteIfExists(path);
            throw new IOException("cannot open the control channel of worker " + workerId + ": " + e.getMessage(), e);
        }
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

    /**
     * Writes a frame (a CANCEL) without waiting, where the native layer is.
     *
     * @return false if the FIFO had no room for it: the worker does not read its control channel
     *     (it is stopped, or its reading thread is stuck), and nothing was written
     */
    boolean send(Frame frame) throws IOException {
        if (fd < 0) {
            writer.write(frame);
            return true;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        new FrameWriter(bytes, Frame.MIN_MAX_LENGTH).write(frame);
        synchronized (this) { // never after close: the number may be another file's by then
            if (closed) {
                throw new IOException("the control channel " + path + " is closed");
            }
            try {
                return Platform.posix().writeNow(fd, bytes.toByteArray());
            } catch (PlatformException e) {
                throw new IOException("cannot write the " + frame + " to the control channel " + path + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** Closes this JVM's end: once the worker has ended, or it would take it as the supervisor gone. */
    void close() {
        if (fd >= 0) {
            synchronized (this) {
                if (!closed) {
                    closed = true;
                    Platform.posix().close(fd);
                }
            }
        } else {
            try {
                file.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
        try {
            Files.deleteIfExists(path); // if the worker never opened it
        } catch (IOException e) {
            // its directory goes with the worker
        }
    }
}
