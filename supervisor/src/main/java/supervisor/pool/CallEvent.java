package supervisor.pool;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * One pool call in a flight recording, from submit to completion: event {@code supervisor.PoolCall}.
 * Any recording takes it, as it takes every event class not disabled by its settings
 * ({@code supervisor.PoolCall#enabled=false} turns it off).
 *
 * <p>Until JFR has been started in the JVM, a call costs one check of
 * {@link jdk.jfr.FlightRecorder#isInitialized()} and this class is not even loaded; after, one
 * allocation when no recording has the event enabled (a few ns measured; the JIT may remove even
 * that): the event is made at submit, kept only if {@link #isEnabled()}, and filled and committed
 * at completion only if {@link #shouldCommit()}. A call that began before the recording started is
 * not in it. No stack trace: the committing thread is the pool's, not the caller's.
 */
@Name("supervisor.PoolCall")
@Label("Pool Call")
@Category({"supervisor", "pool"})
@Description("A call through a supervisor worker pool, from submit to completion")
@StackTrace(false)
final class CallEvent extends Event {
    @Label("Pool")
    String pool;

    @Label("Call")
    @Description("The call's id in its pool")
    long callId;

    @Label("Outcome")
    @Description("ok, failed, timeout, crashed, protocol or cancelled")
    String outcome;

    @Label("Worker")
    @Description("The worker that ran the last attempt (w1, w1.2 for its replacement...); empty if none ran it")
    String worker;

    @Label("Worker Pid")
    long workerPid;

    @Label("Attempts")
    int attempts;

    @Label("Task")
    @Description("The worker's Task class")
    String task;

    @Label("Input Size")
    @DataAmount
    long inputBytes;

    /** A begun event if a recording wants it, else null. */
    static CallEvent beginIfEnabled() {
        CallEvent e = new CallEvent();
        if (!e.isEnabled()) {
            return null;
        }
        e.begin();
        return e;
    }
}
