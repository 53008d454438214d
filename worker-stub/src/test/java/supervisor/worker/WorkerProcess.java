package supervisor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameReader;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;

/**
 * A real worker JVM driven over its pipes, playing the supervisor. Frames and stderr lines are
 * collected by two pump threads; every wait has a deadline. {@link #close()} kills the worker and
 * whatever it spawned, and asserts that nothing is left.
 */
final class WorkerProcess implements AutoCloseable {
    /** How long to wait for something that should happen at once; only a failing test waits it out. */
    static final Duration PATIENCE = Duration.ofSeconds(15);

    private static final Object END_OF_FRAMES = "end of the worker's protocol output";

    private final Process process;
    private final FrameWriter toWorker;
    private final Path controlDir;
    private RandomAccessFile control; // the control channel's FIFO, held open as the supervisor does
    private FrameWriter toControl;
    private final BlockingQueue<Object> fromWorker = new LinkedBlockingQueue<>();
    private final StringBuilder stderr = new StringBuilder(); // guarded by itself

    private WorkerProcess(Process process, Path controlDir) {
        this.process = process;
        this.controlDir = controlDir;
        this.toWorker = new FrameWriter(process.getOutputStream(), Frame.DEFAULT_MAX_LENGTH);
        pump("frames", this::pumpFrames);
        pump("stderr", this::pumpStderr);
    }

    static Launcher of(Class<? extends Task> task) {
        return new Launcher(task.getName());
    }

    /** A worker started without -Dsupervisor.task.class: it must find its task in a manifest. */
    static Launcher withoutTaskProperty() {
        return new Launcher(null);
    }

    static final class Launcher {
        private final String taskClass;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<Path> classPath = new ArrayList<>(List.of(
                Path.of("target", "classes").toAbsolutePath(),
                Path.of("target", "test-classes").toAbsolutePath()));
        private boolean viaFd3;

        private Launcher(String taskClass) {
            this.taskClass = taskClass;
            env.put(WorkerConfig.WORKER_ID, "w-test");
            env.put(WorkerConfig.HEARTBEAT_MS, "0"); // tests that want heartbeats say so
        }

        Launcher env(String name, String value) {
            env.put(name, value);
            return this;
        }

        Launcher jvmOption(String option) {
            jvmOptions.add(option);
            return this;
        }

        Launcher classPath(Path entry) {
            classPath.add(entry);
            return this;
        }

        /** Launch as the supervisor does: fd 3 carries the frames, fd 1 is the stderr pipe. */
        Launcher viaFd3() {
            viaFd3 = true;
            env.put(WorkerConfig.PROTOCOL_FD, "3");
            return this;
        }

        WorkerProcess start() throws IOException {
            List<String> command = new ArrayList<>();
            if (viaFd3) {
                command.addAll(List.of("sh", "-c", "exec 3>&1 1>&2; exec \"$@\"", "sh"));
            }
            command.add(ProcessHandle.current().info().command().orElseThrow());
            // Start fast: these JVMs live for a second.
            command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m"));
            command.addAll(jvmOptions);
            command.add("-cp");
            command.add(String.join(":", classPath.stream().map(Path::toString).toList()));
            if (taskClass != null) {
                command.add("-D" + TaskLoader.PROPERTY + "=" + taskClass);
            }
            command.add(WorkerMain.class.getName());
            ProcessBuilder builder = new ProcessBuilder(command);
            builder.environment().keySet().removeIf(name -> name.startsWith("SUPERVISOR_"));
            builder.environment().putAll(env);
            Path controlDir = Files.createTempDirectory("worker-control");
            return new WorkerProcess(builder.start(), controlDir);
        }
    }

    long pid() {
        return process.pid();
    }

    /**
     * Expects the worker's HELLO and READY, sending the supervisor's HELLO in between, which names
     * a control channel made as the supervisor makes it (a FIFO it holds open).
     */
    Hello handshake() throws Exception {
        return handshake(Map.of("supervisor-version", "test"));
    }

    /** {@link #handshake()} with these keys in the supervisor's HELLO. */
    Hello handshake(Map<String, String> supervisorHello) throws Exception {
        Hello hello = exchangeHellos(supervisorHello);
        expect(FrameType.READY, 0);
        return hello;
    }

    /**
     * Expects the worker's HELLO and sends the supervisor's, naming a control channel: what the
     * worker needs before it loads its task (then READY or FATAL).
     */
    Hello exchangeHellos() throws Exception {
        return exchangeHellos(Map.of("supervisor-version", "test"));
    }

    private Hello exchangeHellos(Map<String, String> supervisorHello) throws Exception {
        Frame hello = expect(FrameType.HELLO, 0);
        Map<String, String> keys = new LinkedHashMap<>(supervisorHello);
        keys.put(Hello.CONTROL, openControl().toString());
        send(Frame.hello(Hello.of(keys)));
        return Hello.decode(hello.payload());
    }

    /** Sends a CALL and returns the payload of its RESULT. */
    byte[] call(long callId, byte[] input) throws Exception {
        send(Frame.call(callId, input));
        return expect(FrameType.RESULT, callId).payload();
    }

    String call(long callId, String input) throws Exception {
        return new String(call(callId, input.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /** Makes the control channel's FIFO and opens it for reading and writing, which does not wait. */
    Path openControl() throws IOException, InterruptedException {
        Path fifo = controlDir.resolve("control");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo " + fifo);
        control = new RandomAccessFile(fifo.toFile(), "rw");
        toControl = new FrameWriter(new FileOutputStream(control.getFD()), Frame.DEFAULT_MAX_LENGTH);
        return fifo;
    }

    /** Sends a frame as the supervisor does: CANCEL on the control channel, the others on stdin. */
    void send(Frame frame) throws IOException {
        if (frame.type() == FrameType.CANCEL && toControl != null) {
            toControl.write(frame);
        } else {
            toWorker.write(frame);
        }
    }

    /** Sends a frame on stdin, whatever its type. */
    void sendOnStdin(Frame frame) throws IOException {
        toWorker.write(frame);
    }

    void sendRaw(byte[] bytes) throws IOException {
        OutputStream stdin = process.getOutputStream();
        stdin.write(bytes);
        stdin.flush();
    }

    void closeStdin() throws IOException {
        process.getOutputStream().close();
    }

    /** What the supervisor's end does to the worker: both of its channels close. */
    void supervisorGone() throws IOException {
        closeStdin();
        if (control != null) {
            control.close();
        }
    }

    /** The next frame other than HEARTBEAT, which must have this type and callId. */
    Frame expect(FrameType type, long callId) throws InterruptedException {
        Frame frame;
        do {
            frame = nextFrame();
        } while (frame.type() == FrameType.HEARTBEAT);
        assertEquals(type, frame.type(), () -> "frame type; worker stderr:\n" + stderr());
        assertEquals(callId, frame.callId(), "callId of " + type);
        return frame;
    }

    /** The next frame, heartbeats included. */
    Frame nextFrame() throws InterruptedException {
        Object next = fromWorker.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        if (next instanceof Frame frame) {
            return frame;
        }
        if (next == null) {
            fail("no frame from the worker within " + PATIENCE.toSeconds() + " s; stderr:\n" + stderr());
        }
        if (next instanceof Throwable error) {
            fail("the worker's protocol output is corrupt: " + error + "; stderr:\n" + stderr(), error);
        }
        return fail("the worker's protocol output ended; stderr:\n" + stderr());
    }

    /** Asserts that the protocol output ends cleanly, after nothing but heartbeats. */
    void expectEndOfFrames() throws InterruptedException {
        for (;;) {
            Object next = fromWorker.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            if (next == END_OF_FRAMES) {
                return;
            }
            if (!(next instanceof Frame frame && frame.type() == FrameType.HEARTBEAT)) {
                fail("expected the end of the protocol output, got " + next + "; stderr:\n" + stderr());
            }
        }
    }

    /** Waits for the worker to exit and returns its status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("worker " + pid() + " still alive after " + timeout.toMillis() + " ms; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    int awaitExit() throws InterruptedException {
        return awaitExit(PATIENCE);
    }

    /** Waits until the worker's stderr contains {@code text}. */
    void awaitStderr(String text) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        synchronized (stderr) {
            while (stderr.indexOf(text) < 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("worker stderr lacks '" + text + "' after " + PATIENCE.toSeconds()
                            + " s:\n" + stderr);
                }
                TimeUnit.NANOSECONDS.timedWait(stderr, left);
            }
        }
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    /** Kills the worker and its descendants, and asserts that none of them is left. */
    @Override
    public void close() {
        try {
            if (control != null) {
                control.close();
            }
            Files.deleteIfExists(controlDir.resolve("control"));
            Files.deleteIfExists(controlDir);
        } catch (IOException e) {
            fail("cannot remove the control channel's directory " + controlDir + ": " + e);
        }
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                fail("process " + handle.pid() + " survived SIGKILL for " + PATIENCE.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while making sure process " + handle.pid() + " is gone");
            }
            assertFalse(handle.isAlive(), "process " + handle.pid() + " survived the test");
        }
    }

    private void pumpFrames() {
        FrameReader reader = new FrameReader(new BufferedInputStream(process.getInputStream()),
                Frame.DEFAULT_MAX_LENGTH);
        try {
            for (Frame frame; (frame = reader.read()) != null; ) {
                fromWorker.add(frame);
            }
            fromWorker.add(END_OF_FRAMES);
        } catch (IOException e) {
            fromWorker.add(e);
        }
    }

    private void pumpStderr() {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                synchronized (stderr) {
                    stderr.append(line).append('\n');
                    stderr.notifyAll();
                }
            }
        } catch (IOException e) {
            synchronized (stderr) {
                stderr.append("[stderr pump failed: ").append(e).append("]\n");
            }
        }
    }

    private static void pump(String name, Runnable body) {
        Thread thread = new Thread(body, "worker-" + name + "-pump");
        thread.setDaemon(true);
        thread.start();
    }
}
