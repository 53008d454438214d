package supervisor.worker;

import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;

/** One CALL: its id, input and cancellation, and the running of it into an answer frame. */
final class Call {
    private final long id;
    private final byte[] input;
    private final CallCancellation cancellation;

    Call(long id, byte[] input) {
        this.id = id;
        this.input = input;
        this.cancellation = new CallCancellation(id);
    }

    long id() {
        return id;
    }

    CallCancellation cancellation() {
        return cancellation;
    }

    /**
     * Runs the task on this call's input, on the calling thread.
     *
     * @param maxPayload the largest payload the answer may have
     * @return RESULT with the output, or ERROR if the task threw anything or the output is too
     *     large; never throws
     */
    Frame run(Task task, int maxPayload) {
        try {
            byte[] output = task.call(input, cancellation);
            if (output != null && output.length > maxPayload) {
                throw new ResultTooLargeException("result of " + output.length
                        + " bytes exceeds the maximum payload of " + maxPayload + " bytes ("
                        + WorkerConfig.MAX_FRAME + " minus 9)");
            }
            return Frame.result(id, output);
        } catch (Throwable failure) { // Errors too: the caller should learn of a StackOverflowError
            ErrorPayload error = ErrorPayload.of(failure, cancellation.isCancelled());
            return Frame.error(id, error.truncatedTo(maxPayload));
        }
    }

    @Override
    public String toString() {
        return "call " + Long.toUnsignedString(id);
    }
}
