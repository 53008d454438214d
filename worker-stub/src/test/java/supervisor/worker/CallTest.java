package supervisor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameType;

class CallTest {

    @Test
    void aNullResultIsAnEmptyPayload() {
        assertEquals(Frame.result(4, new byte[0]), new Call(4, new byte[0]).run((in, c) -> null, 100));
    }

    @Test
    void errorsIncludingJvmErrorsBecomeErrorFrames() throws Exception {
        Frame frame = new Call(5, new byte[0]).run((in, c) -> {
            throw new StackOverflowError("deep");
        }, 4096);
        assertEquals(FrameType.ERROR, frame.type());
        assertEquals(5, frame.callId());
        ErrorPayload error = ErrorPayload.decode(frame.payload());
        assertEquals("java.lang.StackOverflowError", error.className());
        assertEquals("deep", error.message());
    }

    @Test
    void aHugeErrorIsCutToFitTheFrame() throws Exception {
        Frame frame = new Call(6, new byte[0]).run((in, c) -> {
            throw new IllegalStateException("x".repeat(100_000));
        }, 2000);
        assertTrue(frame.payload().length <= 2000, frame.toString());
        assertTrue(ErrorPayload.decode(frame.payload()).message().endsWith("... [truncated]"));
    }

    @Test
    void theErrorSaysWhetherTheCallWasCancelled() throws Exception {
        Call call = new Call(7, new byte[0]);
        Frame frame = call.run((in, c) -> {
            call.cancellation().cancel(null);
            c.throwIfCancelled();
            return null;
        }, 4096);
        assertTrue(ErrorPayload.decode(frame.payload()).cancelled());
    }
}
