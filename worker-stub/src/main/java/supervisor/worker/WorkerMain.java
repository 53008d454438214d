package supervisor.worker;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameReader;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;

/**
 * The main class of a pool worker JVM: takes the protocol channel away from the task's standard
 * streams, says HELLO, reads the supervisor's and opens the control channel it names, loads the
 * task, says READY, then serves the supervisor's frames until SHUTDOWN, end of input or a protocol
 * error. See docs/protocol.md.
 *
 * <p>Threads: a call thread reads the CALLs on stdin and runs them ({@link CallRunner}); this
 * (main) thread reads the control channel, where CANCEL comes while a call runs, and whose end
 * means that the supervisor is gone; a daemon thread sends heartbeats.
 */
public final class WorkerMain {
    private WorkerMain() {}

    public static void main(String[] args) {
        try {
            run();
        } catch (ProtocolException e) {
            Exit.protocolError(e.getMessage());
        } catch (IOException e) { // before any call: writing HELLO, READY or FATAL failed
            Exit.supervisorGone("cannot write to the supervisor: " + e.getMessage(), null);
        } catch (Throwable e) { // a bug in the stub: no frame can be trusted after it
            Exit.protocolError("internal error of the worker stub: " + e);
        }
    }

    private static void run() throws IOException {
        WorkerConfig config = WorkerConfig.from(System.getenv());
        Subreaper.becomeIfAsked(); // before the task is loaded: it could fork in its initialiser
        ProtocolStreams streams = ProtocolStreams.isolate(config.protocolFd());
        FrameWriter out = new FrameWriter(streams.output(), config.maxFrameLength());
        FrameReader in = new FrameReader(streams.input(), config.maxFrameLength());
        out.write(Frame.hello(Hello.of(helloProperties(config))));

        // The supervisor's HELLO, and the control channel it names, before any of the task's code
        // runs: the channel's FIFO is in the task's temporary directory, which a task may empty in
        // its static initialiser or constructor. No deadlock: the supervisor sends its HELLO
        // without waiting for this side's.
        Hello hello = expectHello(read(in, null), null);
        int pipeline = hello.number(Hello.PIPELINE, 1, Hello.MAX_PIPELINE);
        FrameReader control = ControlChannel.open(hello, config.maxFrameLength());

        Task task = loadTaskOrExit(out);
        out.write(Frame.ready());
        CallRunner calls = new CallRunner(task, out, in, streams.input());
        calls.agree(hello.says(Hello.STACK_ON_CANCEL), pipeline);
        HeartbeatThread.start(config.heartbeatMillis(), out, calls);
        calls.start(); // from now on the call thread alone reads stdin
        for (Frame frame; (frame = read(control, calls)) != null; ) {
            if (frame.type() != FrameType.CANCEL) {
                throw new ProtocolException("unexpected " + frame + " on the control channel");
            }
            cancel(calls, frame.callId());
        }
        // The supervisor closes its end only once this worker has ended, even after SHUTDOWN: its
        // end now is the supervisor gone, and a call that ignores its cancel must not keep the
        // worker alive (an idle worker that had SHUTDOWN still exits 0: see Exit.supervisorGone).
        Exit.supervisorGone("the control channel closed: the supervisor is gone", calls);
    }

    private static void cancel(CallRunner calls, long callId) {
        try {
            calls.cancel(callId);
        } catch (IOException e) {
            Exit.supervisorGone("cannot write the STACK of call " + Long.toUnsignedString(callId) + ": "
                    + e.getMessage(), calls);
        }
    }

    /** The next frame, or null at end of input; a failing read means the supervisor is gone too. */
    private static Frame read(FrameReader in, CallRunner calls) throws ProtocolException {
        try {
            return in.read();
        } catch (ProtocolException e) {
            throw e;
        } catch (IOException e) {
            Exit.supervisorGone("cannot read from the supervisor: " + e.getMessage(), calls);
            throw new AssertionError("unreachable: the worker has halted");
        }
    }

    private static Map<String, String> helloProperties(WorkerConfig config) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("pid", Long.toString(ProcessHandle.current().pid()));
        properties.put("worker-id", config.workerId());
        properties.put("java.version", System.getProperty("java.version"));
        properties.put(Hello.STACK_ON_CANCEL, "1");
        properties.put(Hello.PIPELINE, "1");
        properties.put(Hello.CONTROL, "1");
        return properties;
    }

    private static Task loadTaskOrExit(FrameWriter out) throws IOException {
        try {
            return TaskLoader.load(WorkerMain.class.getClassLoader());
        } catch (TaskLoadException e) {
            Exit.log("cannot load the task: " + e.getMessage() + plainCause(e.getCause()));
            ErrorPayload error = ErrorPayload.of(e, false).truncatedTo(out.maxPayloadLength());
            out.write(Frame.fatal(error));
            Exit.taskLoadFailed();
            throw new AssertionError("unreachable: the worker has halted");
        }
    }

    /**
     * The cause of a failed load for a line: the task's own exception as it is (its class is the
     * task's), the class loader's in plain words (its class would be the JDK's, not the task's).
     */
    private static String plainCause(Throwable cause) {
        if (cause == null || cause instanceof ClassNotFoundException) {
            return ""; // the message says that the class is not found
        }
        if (cause instanceof NoClassDefFoundError) {
            return ": a class it needs is missing (" + cause.getMessage() + ")";
        }
        if (cause instanceof ExceptionInInitializerError && cause.getCause() != null) {
            return ": its static initialiser threw " + cause.getCause();
        }
        return ": " + cause;
    }

    private static Hello expectHello(Frame first, CallRunner calls) throws ProtocolException {
        if (first == null) {
            Exit.supervisorGone("stdin closed before the supervisor's HELLO", calls);
            throw new AssertionError("unreachable: the worker has halted");
        } else if (first.type() != FrameType.HELLO) {
            throw new ProtocolException("expected HELLO as the supervisor's first frame, got " + first);
        }
        return Hello.decode(first.payload());
    }
}
