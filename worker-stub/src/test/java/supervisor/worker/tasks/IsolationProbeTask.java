package supervisor.worker.tasks;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/**
 * Writes to every stdout a task can reach: System.out, a stream on FileDescriptor.out, and fd 1
 * of a child process (a native write to fd 1); reads System.in. Answers what System.in gave.
 */
public final class IsolationProbeTask implements Task {
    @Override
    public byte[] call(byte[] input, Cancellation cancel) throws Exception {
        System.out.println("probe via System.out");
        System.out.flush();
        try {
            // Deliberately not closed: closing it would close fd 1.
            FileOutputStream fd1 = new FileOutputStream(FileDescriptor.out);
            fd1.write("probe via FileDescriptor.out\n".getBytes(StandardCharsets.UTF_8));
            fd1.flush();
        } catch (IOException e) {
            System.err.println("FileDescriptor.out failed: " + e.getMessage());
        }
        Process child = new ProcessBuilder("sh", "-c", "echo probe via native fd 1")
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        child.getOutputStream().close();
        int status = child.waitFor();
        int read = System.in.read();
        return ("child=" + status + " stdin=" + read).getBytes(StandardCharsets.UTF_8);
    }
}
