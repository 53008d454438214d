package supervisor.worker;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.StackPayload;
import supervisor.worker.tasks.AwaitingTask;
import supervisor.worker.tasks.EchoTask;
import supervisor.worker.tasks.SizedResultTask;
import supervisor.worker.tasks.ThrowingTask;

/** Calls, errors, cancellation and heartbeats, against real worker JVMs. */
@Timeout(60)
class WorkerCallsIT {

    @Test
    void saysHelloAndReadyThenEchoesCalls() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            Hello hello = worker.handshake();
            assertEquals(Hello.VERSION, hello.version());
            assertEquals(Long.toString(worker.pid()), hello.properties().get("pid"));
            assertEquals("w-test", hello.properties().get("worker-id"));
            assertEquals(System.getProperty("java.version"), hello.properties().get("java.version"));

            assertEquals("first", worker.call(1, "first"));
            assertEquals("", worker.call(2, ""));
            byte[] binary = new byte[300_000];
            for (int i = 0; i < binary.length; i++) {
                binary[i] = (byte) i;
            }
            assertArrayEquals(binary, worker.call(3, binary));
            assertEquals("max id", worker.call(-1L, "max id")); // callId is an unsigned u64
        }
    }

    @Test
    void answersANullResultWithAnEmptyPayloadAndAnOversizedOneWithAnError() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(SizedResultTask.class)
                .env(WorkerConfig.MAX_FRAME, "1024").start()) {
            worker.handshake();
            assertEquals("", worker.call(1, "null"));
            assertEquals(1015, worker.call(2, "1015".getBytes(UTF_8)).length); // 1024 minus type and callId

            worker.send(Frame.call(3, "1016".getBytes(UTF_8)));
            ErrorPayload error = ErrorPayload.decode(worker.expect(FrameType.ERROR, 3).payload());
            assertEquals(ResultTooLargeException.class.getName(), error.className());
            assertEquals("result of 1016 bytes exceeds the maximum payload of 1015 bytes"
                    + " (SUPERVISOR_MAX_FRAME minus 9)", error.message());

            assertEquals(10, worker.call(4, "10".getBytes(UTF_8)).length); // still serving
        }
    }

    @Test
    void reportsWhatTheTaskThrew() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(ThrowingTask.class).start()) {
            worker.handshake();
            worker.send(Frame.call(7, "input 7".getBytes(UTF_8)));
            ErrorPayload error = ErrorPayload.decode(worker.expect(FrameType.ERROR, 7).payload());
            assertEquals(IllegalStateException.class.getName(), error.className());
            assertEquals("boom: input 7", error.message());
            assertFalse(error.cancelled());
            assertTrue(error.stackTrace().startsWith("java.lang.IllegalStateException: boom: input 7\n"),
                    error.stackTrace());
            assertTrue(error.stackTrace().contains("at " + ThrowingTask.class.getName() + ".call("),
                    error.stackTrace());
            assertTrue(error.stackTrace().contains("Caused by: java.io.IOException: root cause"),
                    error.stackTrace());

            worker.send(Frame.call(8, "null".getBytes(UTF_8)));
            ErrorPayload noMessage = ErrorPayload.decode(worker.expect(FrameType.ERROR, 8).payload());
            assertEquals(UnsupportedOperationException.class.getName(), noMessage.className());
            assertNull(noMessage.message());
        }
    }

    @Test
    void cancelEndsACooperativeCallWhichStillAnswers() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake();
            worker.send(Frame.call(1, "60000".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            worker.send(Frame.cancel(1));
            assertEquals("cancelled interrupted=true",
                    new String(worker.expect(FrameType.RESULT, 1).payload(), UTF_8));

            // A CANCEL for a call that is not running is ignored, and must not hit the next call.
            worker.send(Frame.cancel(1));
            worker.send(Frame.cancel(99));
            assertEquals("not cancelled interrupted=false", worker.call(2, "1"));
        }
    }

    @Test
    void cancelsRacingTheStartAndTheEndOfCallsNeverLeakIntoTheNextCall() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake();
            long id = 0;
            for (int i = 0; i < 200; i++) {
                // CANCEL right behind its CALL: often arrives before the task has started.
                worker.send(Frame.call(++id, "60000".getBytes(UTF_8)));
                worker.send(Frame.cancel(id));
                assertEquals("cancelled interrupted=true",
                        new String(worker.expect(FrameType.RESULT, id).payload(), UTF_8));
                // CANCEL racing the end of a call that returns at once: any answer is fine...
                worker.send(Frame.call(++id, "0".getBytes(UTF_8)));
                worker.send(Frame.cancel(id));
                worker.expect(FrameType.RESULT, id);
                // ... but no interrupt from it may reach the next call.
                assertEquals("not cancelled interrupted=false", worker.call(++id, "0"));
            }
        }
    }

    @Test
    void aSupervisorThatAsksForStacksGetsTheCallThreadsStackBeforeTheAnswer() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            Hello hello = worker.handshake(Map.of(Hello.STACK_ON_CANCEL, "1"));
            assertTrue(hello.says(Hello.STACK_ON_CANCEL), "the worker says it speaks STACK: " + hello);

            worker.send(Frame.call(1, "60000".getBytes(UTF_8)));
            worker.awaitStderr("call parked");
            worker.send(Frame.cancel(1));
            List<StackTraceElement> frames = StackPayload.decode(worker.expect(FrameType.STACK, 1).payload()).frames();
            // Where the task waited, not where the interrupt took it: inside Cancellation.await.
            assertTrue(frames.stream().anyMatch(f -> f.getClassName().equals(CallCancellation.class.getName())
                    && f.getMethodName().equals("await")), frames.toString());
            StackTraceElement task = frames.stream()
                    .filter(f -> f.getClassName().equals(AwaitingTask.class.getName())).findFirst().orElseThrow();
            assertEquals("call", task.getMethodName());
            assertEquals("AwaitingTask.java", task.getFileName());
            assertTrue(task.getLineNumber() > 0, task.toString());
            assertTrue(frames.size() <= StackPayload.MAX_FRAMES);
            assertEquals("cancelled interrupted=true", new String(worker.expect(FrameType.RESULT, 1).payload(), UTF_8));

            // A CANCEL of a call already answered gets no STACK: the next frame is the next answer.
            worker.send(Frame.cancel(1));
            assertEquals("not cancelled interrupted=false", worker.call(2, "0"));

            // A CANCEL right behind its CALL: a STACK (empty if the call had not started) always
            // comes before the answer of its call.
            for (long id = 3; id < 103; id++) {
                worker.send(Frame.call(id, "60000".getBytes(UTF_8)));
                worker.send(Frame.cancel(id));
                StackPayload.decode(worker.expect(FrameType.STACK, id).payload());
                assertEquals("cancelled interrupted=true", new String(worker.expect(FrameType.RESULT, id).payload(), UTF_8));
            }
        }
    }

    @Test
    void aCallThatThrowsOnCancellationReportsItWasCancelled() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake();
            worker.send(Frame.call(5, "60000 throw".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            worker.send(Frame.cancel(5));
            ErrorPayload error = ErrorPayload.decode(worker.expect(FrameType.ERROR, 5).payload());
            assertEquals(CancellationException.class.getName(), error.className());
            assertEquals("call 5 was cancelled", error.message());
            assertTrue(error.cancelled());
        }
    }

    @Test
    void heartbeatsCountCompletedCallsAndKeepComingDuringACall() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class)
                .env(WorkerConfig.HEARTBEAT_MS, "20").start()) {
            assertEquals(FrameType.HELLO, worker.nextFrame().type());
            worker.send(Frame.hello(Hello.of(Map.of(Hello.CONTROL, worker.openControl().toString()))));
            assertEquals(FrameType.READY, worker.nextFrame().type());
            assertEquals(0, nextHeartbeat(worker).completedCalls());

            assertEquals("not cancelled interrupted=false", worker.call(1, "0"));
            Frame heartbeat = nextHeartbeat(worker);
            assertEquals(1, heartbeat.completedCalls());

            worker.send(Frame.call(2, "60000".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            for (int i = 0; i < 3; i++) { // the call is blocked; heartbeats are not
                assertEquals(1, nextHeartbeat(worker).completedCalls());
            }
            worker.send(Frame.cancel(2));
            worker.expect(FrameType.RESULT, 2);
            long count;
            do {
                count = nextHeartbeat(worker).completedCalls();
            } while (count == 1);
            assertEquals(2, count);
        }
    }

    private static Frame nextHeartbeat(WorkerProcess worker) throws InterruptedException {
        Frame frame = worker.nextFrame();
        assertEquals(FrameType.HEARTBEAT, frame.type(), frame.toString());
        return frame;
    }

    @Test
    void pipelinedCallsAreAnsweredInOrder() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class).start()) {
            Hello hello = worker.handshake(Map.of(Hello.PIPELINE, "3"));
            assertTrue(hello.says(Hello.PIPELINE), hello.toString());
            for (int round = 0; round < 50; round++) {
                for (int i = 1; i <= 3; i++) {
                    worker.send(Frame.call(round * 3 + i, ("call " + (round * 3 + i)).getBytes(UTF_8)));
                }
                for (int i = 1; i <= 3; i++) {
                    Frame f = worker.expect(FrameType.RESULT, round * 3 + i);
                    assertEquals("call " + (round * 3 + i), new String(f.payload(), UTF_8));
                }
            }
        }
    }

    @Test
    void anAnswerHeldWhileMoreCallsWaitIsWrittenWithoutWaitingForThem() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake(Map.of(Hello.PIPELINE, "2", Hello.STACK_ON_CANCEL, "1"));
            long start = System.nanoTime();
            // Both in one write, as a pool sends them: call 2 waits when call 1 is answered.
            ByteArrayOutputStream both = new ByteArrayOutputStream();
            new FrameWriter(both, 1 << 20).writeAll(List.of(Frame.call(1, "0".getBytes(UTF_8)),
                    Frame.call(2, "30000".getBytes(UTF_8))));
            worker.sendRaw(both.toByteArray());
            // Call 1's answer is held while call 2 waits, then written by the flusher: it must not wait
            // for call 2, which waits 30 s for a cancel.
            assertEquals("not cancelled interrupted=false", new String(worker.expect(FrameType.RESULT, 1).payload(), UTF_8));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 20_000, "the answer of call 1 came after " + millis + " ms");
            worker.send(Frame.cancel(2));
            worker.expect(FrameType.STACK, 2);
            assertEquals("cancelled interrupted=true", new String(worker.expect(FrameType.RESULT, 2).payload(), UTF_8));
        }
    }

    /**
     * Call 2 waits in the worker's stdin, unread, while call 1 runs: its CANCEL is kept, and the
     * call is cancelled as it is read, with an empty STACK (it had not started).
     */
    @Test
    void aCancelOfACallThatWaitsBehindAnotherCancelsItBeforeItStarts() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(AwaitingTask.class).start()) {
            worker.handshake(Map.of(Hello.PIPELINE, "2", Hello.STACK_ON_CANCEL, "1"));
            worker.send(Frame.call(1, "30000".getBytes(UTF_8)));
            worker.send(Frame.call(2, "30000".getBytes(UTF_8)));
            worker.awaitStderr("awaiting call");
            worker.send(Frame.cancel(2));
            worker.send(Frame.cancel(1));
            assertTrue(worker.expect(FrameType.STACK, 1).payload().length > 0, "call 1 runs: its stack");
            // Call 2 is read as call 1 ends, before call 1's answer goes out.
            assertEquals(0, worker.expect(FrameType.STACK, 2).payload().length, "it had not started: an empty stack");
            assertEquals("cancelled interrupted=true", new String(worker.expect(FrameType.RESULT, 1).payload(), UTF_8));
            assertEquals("cancelled interrupted=true", new String(worker.expect(FrameType.RESULT, 2).payload(), UTF_8));
        }
    }
}
