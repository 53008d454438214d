package supervisor.worker;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import supervisor.worker.protocol.ProtocolException;

/**
 * Takes the protocol channel away from the task's standard streams, so that nothing the task
 * reads or writes through fd 0, fd 1, {@code System.in} or {@code System.out} touches a frame.
 *
 * <ul>
 *   <li>Output: {@code /proc/self/fd/N} is opened for SUPERVISOR_PROTOCOL_FD=N (the launcher
 *       already pointed fd 1 at stderr). Without it, {@code /proc/self/fd/1} is opened and fd 1
 *       is closed, which the JDK turns into "fd 1 is /dev/null".
 *   <li>Input: {@code /proc/self/fd/0} is opened and fd 0 is closed the same way, so a task
 *       reading stdin sees end of stream instead of eating the supervisor's frames.
 *   <li>{@code System.out} becomes {@code System.err}; {@code System.in} is empty.
 * </ul>
 *
 * <p>Opening a pipe through {@code /proc/self/fd} gives a new descriptor for the same pipe, and
 * for an anonymous pipe it does not block even if the other end is already gone.
 */
record ProtocolStreams(ProtocolInput input, OutputStream output) {
    private static final int INPUT_BUFFER = 64 * 1024;

    /** Must run before anything else can print. */
    static ProtocolStreams isolate(OptionalInt protocolFd) throws ProtocolException {
        OutputStream output;
        if (protocolFd.isPresent()) {
            Path fd = Path.of("/proc/self/fd/" + protocolFd.getAsInt());
            requirePipe(fd, WorkerConfig.PROTOCOL_FD + "=" + protocolFd.getAsInt());
            output = openOutput(fd);
        } else {
            output = openOutput(Path.of("/proc/self/fd/1"));
            System.out.flush();
            closeStandard(new FileOutputStream(FileDescriptor.out));
        }
        InputStream input = openInput(Path.of("/proc/self/fd/0"));
        closeStandard(new FileInputStream(FileDescriptor.in));
        System.setIn(InputStream.nullInputStream());
        System.setOut(System.err);
        return new ProtocolStreams(new ProtocolInput(input, INPUT_BUFFER), output);
    }

    /**
     * Refuses anything but a pipe: when the launcher did not set the descriptor up, the number
     * may belong to a file the JVM opened (its module image, say), which must not be written.
     */
    private static void requirePipe(Path fd, String setting) throws ProtocolException {
        String target;
        try {
            target = Files.readSymbolicLink(fd).toString();
        } catch (IOException e) {
            throw new ProtocolException(setting + " but " + fd + " is not open: " + e);
        }
        if (!target.startsWith("pipe:")) {
            throw new ProtocolException(setting + " but " + fd + " is " + target + ", not a pipe");
        }
    }

    private static OutputStream openOutput(Path fd) throws ProtocolException {
        try {
            // Append mode: never truncate, should fd 1 be a file when the stub is run by hand.
            return new FileOutputStream(fd.toFile(), true);
        } catch (FileNotFoundException e) {
            throw new ProtocolException("cannot open the protocol output " + fd + ": " + e.getMessage());
        }
    }

    private static InputStream openInput(Path fd) throws ProtocolException {
        try {
            return new FileInputStream(fd.toFile());
        } catch (FileNotFoundException e) {
            throw new ProtocolException("cannot open the protocol input " + fd + ": " + e.getMessage());
        }
    }

    /** Closing a stream on fd 0, 1 or 2 makes the JDK point that descriptor at /dev/null. */
    private static void closeStandard(Closeable stream) throws ProtocolException {
        try {
            stream.close();
        } catch (IOException e) {
            throw new ProtocolException("cannot detach a standard stream from the protocol: " + e);
        }
    }
}
