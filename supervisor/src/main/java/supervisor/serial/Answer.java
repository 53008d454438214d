package supervisor.serial;

import supervisor.worker.protocol.ErrorPayload;

/** What a worker answered to a call of the caller's own code, once decoded. */
public sealed interface Answer {
    /** The code returned {@code value} (null included). */
    record Value(Object value) implements Answer { }

    /** The code threw {@code thrown}, rebuilt here with its class, message, stack and causes. */
    record Thrown(Throwable thrown) implements Answer { }

    /**
     * The code threw, but its exception could not be rebuilt here: {@code text} has its class,
     * message and stack as the worker printed them, {@code why} says why it was not rebuilt.
     */
    record ThrownText(ErrorPayload text, String why) implements Answer { }

    /** The answer cannot be taken: the worker could not send it, or it is not allowed here. */
    record Refused(String why) implements Answer { }
}
