package supervisor.process;

import java.util.function.Consumer;
import supervisor.platform.PlatformException;
import supervisor.platform.Signal;

/**
 * How every supervised process is stopped: the stop signal, a grace for it to end, then SIGKILL
 * to its whole tree. Without a grace the kill is the stop, and no signal is sent first; a stop
 * signal that cannot be sent is said, and the kill is due at once. {@code run}'s stop loop, the
 * task runner and the zt-exec stopper begin their stops here, and each waits out the grace in
 * its own way (an event loop's deadline, a timer, a blocking wait) before its kill.
 *
 * @param signal the stop signal (SIGTERM unless told)
 * @param graceNanos how long the process has to end after it; 0: kill at once
 * @param wholeTree the signal goes to every process of the tree, not only to the process and its group
 */
public record StopPolicy(int signal, long graceNanos, boolean wholeTree) {

    /** Sends a stop signal; returns how many processes got it ({@link SupervisedProcess#terminate(int, boolean)}). */
    public interface Send {
        int send(int signal, boolean wholeTree);
    }

    /**
     * How a stop began.
     *
     * @param reached how many processes got the stop signal, or -1 when none was sent
     * @param sentAt when it was sent ({@link System#nanoTime()})
     * @param killAt when the kill is due ({@link System#nanoTime()}): the end of the grace, or
     *     at once when no signal was sent
     */
    public record Begun(int reached, long sentAt, long killAt) {
        public boolean sent() {
            return reached >= 0;
        }
    }

    /** SIGTERM to the process and its group, then the kill after {@code graceNanos}. */
    public static StopPolicy sigterm(long graceNanos) {
        return new StopPolicy(Signal.TERM, graceNanos, false);
    }

    /**
     * Begins a stop: sends the stop signal, unless there is no grace.
     *
     * @param whom named in the message when the signal cannot be sent ("pid 42"), or null
     * @param complain where that message goes ({@code Log::warn}, {@code Log::error})
     */
    public Begun begin(Send send, String whom, Consumer<String> complain) {
        long sentAt = System.nanoTime();
        if (graceNanos == 0) {
            return new Begun(-1, sentAt, sentAt); // no grace: straight to SIGKILL
        }
        int reached;
        try {
            reached = send.send(signal, wholeTree);
        } catch (PlatformException e) {
            complain.accept("cannot send " + Signal.name(signal) + (whom == null ? "" : " to " + whom) + ": "
                    + e.getMessage() + "; killing instead");
            return new Begun(-1, sentAt, System.nanoTime());
        }
        return new Begun(reached, sentAt, System.nanoTime() + graceNanos);
    }
}
