package supervisor.worker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;
import supervisor.worker.tasks.AwaitingTask;
import supervisor.worker.tasks.EchoTask;
import supervisor.worker.tasks.FailingConstructorTask;
import supervisor.worker.tasks.SlowHookTask;
import supervisor.worker.tasks.SpinningTask;

/** Start-up, SHUTDOWN, end of input and protocol errors, against real worker JVMs. */
@Timeout(60)
class WorkerLifecycleIT {
    /** The promise: a worker whose supervisor has gone is gone itself within this. */
    private static final Duration GONE_WITHIN = Duration.ofSeconds(1);

    @Test
    void theSupervisorGoneHaltsAWorkerWhoseCallIgnoresCancellationWithinOneSecond() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(SpinningTask.class).start()) {
            worker.handshake();
            worker.send(Frame.call(1, new byte[0]));
            worker.awaitStderr("spinning");

            long start = System.nanoTime();
            worker.supervisorGone();
            int status = worker.awaitExit(GONE_WITHIN);
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

            assertEquals(Exit.SUPERVISOR_GONE, status);
            assertTrue(elapsedMillis < GONE_WITHIN.toMillis(), elapsedMillis + " ms");
            worker.awaitStderr("the call in flight ignored its cancellation; halting");
        }
    }

    /**
     * After SHUTDOWN the worker still answers its calls; but the pool closes its end of the control
     * channel only once the worker has ended, so that end, while a call still runs, is the
     * supervisor gone: a call that ignores its cancel must not keep the worker alive. Here the
     * SHUTDOWN is read (after call 1) before call 2, which spins, starts: as a pool that closes
     * while a call waits behind another.
     */
    @Test
    void theSupervisorGoneAfterShutdownStillHaltsAWorkerWhoseCallIgnoresCancellation() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(SpinningTask.class).start()) {
            worker.handshake(Map.of(Hello.PIPELINE, "2"));
            ByteArrayOutputStream frames = new ByteArrayOutputStream(); // one write: all in the pipe at once
            FrameWriter writer = new FrameWriter(frames, Frame.DEFAULT_MAX_LENGTH);
            writer.write(Frame.call(1, "x".getBytes(UTF_8)));
            writer.write(Frame.call(2, new byte[0]));
            writer.write(Frame.shutdown());
            worker.sendRaw(frames.toByteArray());
            assertEquals("x", new String(worker.expect(FrameType.RESULT, 1).payload(), UTF_8));
            worker.awaitStderr("spinning");
            worker.supervisorGone();
            assertEquals(Exit.SUPERVISOR_GONE, worker.awaitExit(GONE_WITHIN));
            worker.awaitStderr("the call in flight ignored its cancellation; halting");
        }
    }

    @Test
    void theSupervisorGoneCancelsACooperativeCall() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake();
            worker.send(Frame.call(1, "60000".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            worker.supervisorGone();
            assertEquals(Exit.SUPERVISOR_GONE, worker.awaitExit(GONE_WITHIN));
            worker.awaitStderr("call cancelled");
        }
    }

    @Test
    void shutdownWhenIdleExitsZero() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            worker.handshake();
            assertEquals("x", worker.call(1, "x"));
            worker.send(Frame.shutdown());
            assertEquals(Exit.SHUTDOWN, worker.awaitExit());
            worker.expectEndOfFrames();
        }
    }

    @Test
    void shutdownAnswersTheCallInFlightFirstAndStillHonoursCancel() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake();
            worker.send(Frame.call(1, "60000".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            worker.send(Frame.shutdown());
            worker.send(Frame.cancel(1)); // the control channel is still read after SHUTDOWN
            assertEquals("cancelled interrupted=true",
                    new String(worker.expect(FrameType.RESULT, 1).payload(), UTF_8));
            assertEquals(Exit.SHUTDOWN, worker.awaitExit());
            worker.expectEndOfFrames();
        }
    }

    @Test
    void closingStdinRightAfterShutdownStillExitsZero() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            worker.handshake();
            worker.send(Frame.shutdown());
            worker.closeStdin();
            assertEquals(Exit.SHUTDOWN, worker.awaitExit());
            // The pool's orderly stop: nothing says the supervisor is gone.
            assertFalse(worker.stderr().contains("supervisor is gone"), worker.stderr());
        }
    }

    @Test
    void thePoolsOrderlyStopSaysNothingOfASupervisorGone() throws Exception {
        // SHUTDOWN, then stdin closed, as the pool stops a worker; the exit's hooks take a while.
        try (WorkerProcess worker = WorkerProcess.of(SlowHookTask.class).start()) {
            worker.handshake();
            assertEquals("x", worker.call(1, "x"));
            worker.send(Frame.shutdown());
            worker.closeStdin();
            assertEquals(Exit.SHUTDOWN, worker.awaitExit());
            worker.expectEndOfFrames();
            assertEquals("", worker.stderr());
        }
    }

    static Stream<Arguments> badInput() {
        return Stream.of(
                Arguments.of("length below 9", frameBytes(5, 0x10, 1, 0),
                        "frame length 5 is below the minimum 9 (type and callId)"),
                Arguments.of("length far above the maximum", frameBytes(Integer.MAX_VALUE, 0x10, 1, 0),
                        "frame length 2147483647 exceeds the maximum 67108864"),
                Arguments.of("length 2^32-1", frameBytes(-1, 0x10, 1, 0),
                        "frame length 4294967295 exceeds the maximum 67108864"),
                Arguments.of("unknown type", frameBytes(9, 0x7f, 0, 0),
                        "unknown frame type 0x7f"),
                Arguments.of("a worker-to-supervisor type", frameBytes(9, 0x11, 3, 0),
                        "unexpected RESULT call 3 (0 payload bytes) from the supervisor"),
                Arguments.of("CALL with callId 0", frameBytes(9, 0x10, 0, 0),
                        "CALL frame has callId 0; call ids must be non-zero"),
                Arguments.of("truncated body", frameBytes(109, 0x10, 1, 10),
                        "stream ended after 10 of 100 payload bytes of a CALL frame"),
                Arguments.of("second HELLO", encode(Frame.hello(Hello.of(Map.of()))),
                        "unexpected HELLO (6 payload bytes) from the supervisor"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badInput")
    void aBadFrameIsAProtocolError(String what, byte[] bytes, String message) throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            worker.handshake();
            worker.sendRaw(bytes);
            worker.closeStdin(); // ends the truncated body; must not turn the error into "gone"
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("worker-stub: protocol error: " + message + "\n");
        }
    }

    /** Only stdin closes, without SHUTDOWN, while a call runs: the call is answered, then the worker halts. */
    @Test
    void stdinClosedWithoutShutdownIsTheSupervisorGoneOnceTheCallEnds() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake();
            worker.send(Frame.call(1, "60000".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            worker.closeStdin();
            worker.send(Frame.cancel(1));
            assertEquals("cancelled interrupted=true", new String(worker.expect(FrameType.RESULT, 1).payload(), UTF_8));
            assertEquals(Exit.SUPERVISOR_GONE, worker.awaitExit());
            worker.awaitStderr("stdin closed: the supervisor is gone; halting");
        }
    }

    /** CANCEL belongs on the control channel, which the worker reads while its call thread runs a call. */
    @Test
    void aCancelOnStdinIsAProtocolError() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            worker.handshake();
            worker.sendOnStdin(Frame.cancel(1));
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("worker-stub: protocol error: unexpected CANCEL call 1 (0 payload bytes) from the supervisor\n");
        }
    }

    @Test
    void aHelloWithoutAControlChannelIsAProtocolError() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            worker.expect(FrameType.HELLO, 0);
            worker.send(Frame.hello(Hello.of(Map.of())));
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("worker-stub: protocol error: the supervisor's HELLO names no control channel (key control)\n");
        }
    }

    @Test
    void aControlChannelThatIsARegularFileIsAProtocolError(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("control"), "not a FIFO");
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            worker.expect(FrameType.HELLO, 0);
            worker.send(Frame.hello(Hello.of(Map.of(Hello.CONTROL, file.toString()))));
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("worker-stub: protocol error: the control channel " + file + " is not a FIFO\n");
            assertEquals("not a FIFO", Files.readString(file), "the file is left as it was");
        }
    }

    /**
     * With one call at a time the worker does not look for frames before an answer (two system
     * calls a call): a CALL sent while one runs cannot be told from one sent after the answer, so
     * it runs next, in order. Beyond a pipeline of more than one it is an error (below).
     */
    @Test
    void withOneCallAtATimeACallSentWhileOneRunsRunsNext() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake();
            worker.send(Frame.call(1, "60000".getBytes(UTF_8)));
            worker.send(Frame.call(2, "0".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            worker.send(Frame.cancel(1));
            assertEquals("cancelled interrupted=true", new String(worker.expect(FrameType.RESULT, 1).payload(), UTF_8));
            assertEquals("not cancelled interrupted=false", new String(worker.expect(FrameType.RESULT, 2).payload(), UTF_8));
        }
    }

    @Test
    void moreCallsThanTheSupervisorsHelloAllowedIsAProtocolError() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake(Map.of(Hello.PIPELINE, "2"));
            worker.send(Frame.call(1, "60000".getBytes(UTF_8)));
            worker.send(Frame.call(2, "60000".getBytes(UTF_8)));
            worker.send(Frame.call(3, "60000".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            worker.send(Frame.cancel(1));
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("worker-stub: protocol error: CALL 3 arrived while call 1 is still running"
                    + " and 2 calls are unanswered; the supervisor's HELLO allowed 2\n");
        }
    }

    @Test
    void aPipelineThatIsNotANumberIsAProtocolError() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.expect(FrameType.HELLO, 0);
            worker.send(Frame.hello(Hello.of(Map.of(Hello.PIPELINE, "0"))));
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("worker-stub: protocol error: hello key 'pipeline' must be a number in 1..1024, not '0'\n");
        }
    }

    @Test
    void aHelloWithTheWrongMagicOrVersionIsAProtocolError() throws Exception {
        byte[] wrongMagic = ByteBuffer.allocate(6).putInt(0x12345678).putShort((short) 1).array();
        byte[] wrongVersion = ByteBuffer.allocate(6).putInt(Hello.MAGIC).putShort((short) 2).array();
        for (byte[] payload : new byte[][] {wrongMagic, wrongVersion}) {
            try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
                worker.expect(FrameType.HELLO, 0);
                worker.send(new Frame(FrameType.HELLO, 0, payload));
                assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
                worker.awaitStderr(payload == wrongMagic
                        ? "worker-stub: protocol error: bad hello magic 0x12345678 (expected 0x53555056 \"SUPV\")\n"
                        : "worker-stub: protocol error: unsupported protocol version 2 (this side speaks 1)\n");
            }
        }
    }

    @Test
    void aFirstFrameOtherThanHelloIsAProtocolError() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            worker.expect(FrameType.HELLO, 0);
            worker.send(Frame.call(1, new byte[0]));
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("protocol error: expected HELLO as the supervisor's first frame, got CALL call 1");
        }
    }

    @Test
    void withoutATaskClassTheWorkerSendsFatalAndExitsOne() throws Exception {
        try (WorkerProcess worker = WorkerProcess.withoutTaskProperty().start()) {
            worker.exchangeHellos();
            ErrorPayload fatal = ErrorPayload.decode(worker.expect(FrameType.FATAL, 0).payload());
            assertEquals(TaskLoadException.class.getName(), fatal.className());
            assertEquals("no Task-Class attribute in any META-INF/MANIFEST.MF on the class path,"
                    + " and no -Dsupervisor.task.class", fatal.message());
            assertEquals(Exit.TASK_LOAD_FAILED, worker.awaitExit());
            worker.awaitStderr("worker-stub: cannot load the task: no Task-Class attribute");
        }
    }

    @Test
    void aTaskWhoseConstructorThrowsIsFatalWithTheCause() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(FailingConstructorTask.class).start()) {
            worker.exchangeHellos();
            ErrorPayload fatal = ErrorPayload.decode(worker.expect(FrameType.FATAL, 0).payload());
            assertEquals("the constructor of task class " + FailingConstructorTask.class.getName()
                    + " threw", fatal.message());
            assertTrue(fatal.stackTrace().contains(
                    "Caused by: java.lang.IllegalStateException: no database today"), fatal.stackTrace());
            assertEquals(Exit.TASK_LOAD_FAILED, worker.awaitExit());
        }
    }

    @Test
    void findsTheTaskClassInAJarManifest(@TempDir Path dir) throws Exception {
        Path jar = jarNamingTask(dir.resolve("echo-task.jar"), EchoTask.class.getName());
        try (WorkerProcess worker = WorkerProcess.withoutTaskProperty().classPath(jar).start()) {
            worker.handshake();
            assertEquals("found", worker.call(1, "found"));
        }
    }

    @Test
    void manifestsNamingDifferentTaskClassesAreFatal(@TempDir Path dir) throws Exception {
        Path echo = jarNamingTask(dir.resolve("echo.jar"), EchoTask.class.getName());
        Path other = jarNamingTask(dir.resolve("other.jar"), AwaitingTask.class.getName());
        try (WorkerProcess worker = WorkerProcess.withoutTaskProperty()
                .classPath(echo).classPath(other).start()) {
            worker.exchangeHellos();
            ErrorPayload fatal = ErrorPayload.decode(worker.expect(FrameType.FATAL, 0).payload());
            assertTrue(fatal.message().startsWith("the manifests on the class path name different task classes"),
                    fatal.message());
            assertEquals(Exit.TASK_LOAD_FAILED, worker.awaitExit());
        }
    }

    private static Path jarNamingTask(Path jar, String taskClass) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Task-Class", taskClass);
        try (OutputStream file = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(file, manifest)) {
            out.finish();
        }
        return jar;
    }

    /** A frame header claiming {@code length}, followed by {@code bodyBytes} zero bytes. */
    private static byte[] frameBytes(int length, int type, long callId, int bodyBytes) {
        return ByteBuffer.allocate(4 + 9 + bodyBytes)
                .putInt(length).put((byte) type).putLong(callId).array();
    }

    private static byte[] encode(Frame frame) {
        return ByteBuffer.allocate(4 + (int) frame.length())
                .putInt((int) frame.length()).put((byte) frame.type().code())
                .putLong(frame.callId()).put(frame.payload()).array();
    }
}
