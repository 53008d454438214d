package supervisor.pool;

import java.util.concurrent.CompletableFuture;
import jdk.jfr.FlightRecorder;

/**
 * One submitted call: its input, its timeout, the future its caller holds, and, while a worker
 * runs it, that run (so that a cancel can reach the worker).
 */
final class Call {
    static final StackTraceElement[] NO_STACK = new StackTraceElement[0];

    final WorkerPool pool;
    final long id;
    final byte[] input;
    final long timeoutNanos;
    final long submittedAt = System.nanoTime();
    final CallFuture future = new CallFuture(this);
    /**
     * The worker's stack when the call was stopped while it ran there (a timeout, a cancel); empty
     * otherwise. Completed once: when the worker's STACK arrives, when it is known that none will
     * (the run is over, the worker does not send stacks), or after the pool's stack wait.
     */
    final CompletableFuture<StackTraceElement[]> workerStack = new CompletableFuture<>();
    /** The flight recorder's event, begun at submit; null when no recording wants it. */
    final CallEvent event;
    int attempts; // guarded by this
    volatile long completedAt;
    /** The worker of the last attempt, for the flight recorder: its id ("" if none ran it) and pid. */
    volatile String workerId = "";
    volatile long workerPid;
    /** True while the call counts against the queue's capacity: from submit until a worker starts it. */
    boolean holdsRoom; // guarded by the pool's queue discipline: one owner at a time
    private Attempt run;
    private boolean claimed; // guarded by this

    Call(WorkerPool pool, long id, byte[] input, long timeoutNanos) {
        this.pool = pool;
        this.id = id;
        this.input = input;
        this.timeoutNanos = timeoutNanos;
        // Until JFR runs in this JVM (a Recording, -XX:StartFlightRecording, jcmd JFR.start) no
        // recording can want the event, and merely loading an event class would set up JFR's
        // metadata: some 250 classes and 2-3 MiB of a supervisor JVM that may never record.
        this.event = pool == null || !FlightRecorder.isInitialized() ? null : CallEvent.beginIfEnabled();
    }

    /**
     * The right to complete this call, given once: whoever gets it counts the outcome, then
     * completes the future, so that a completed future is always counted already. A timed-out
     * call is claimed at its timeout and completed when the worker's stack is in.
     */
    synchronized boolean claim() {
        if (claimed) {
            return false;
        }
        claimed = true;
        return true;
    }

    /** True once someone has the right to complete the call: it must not run (again). */
    synchronized boolean claimed() {
        return claimed;
    }

    /** No stack will come (or it came too late to wait for). */
    void noStack() {
        workerStack.complete(NO_STACK);
    }

    void stackArrived(StackTraceElement[] frames) {
        workerStack.complete(frames);
    }

    synchronized void attach(Attempt r) {
        this.run = r;
    }

    /** Detaches {@code r} if it is still the run of this call (a retry may have replaced it). */
    synchronized void detach(Attempt r) {
        if (run == r) {
            run = null;
        }
    }

    synchronized Attempt run() {
        return run;
    }
}
