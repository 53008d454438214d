package supervisor.pool;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.ProtocolException;
import supervisor.worker.protocol.StackPayload;

/**
 * One attempt of one call on one worker: sent by whoever fed the worker ({@link InFlight}),
 * answered on the worker's reader, stopped (a timeout, a cancel, close) and ended (the worker
 * died, broke the protocol) by the worker's slot. A call retried after a crash has one attempt
 * per worker it ran on. Its timeout counts from when it starts in the worker: when it is sent to
 * an idle worker, or when the call before it there is answered.
 */
final class Attempt {
    /** How long a worker may stay inside a frame without sending a byte (see {@link Worker#stalledInFrame}). */
    static final long FRAME_STALL_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Errors after which the worker's JVM is not trusted with another call. */
    private static final Set<String> FATAL_ERRORS = Set.of("java.lang.OutOfMemoryError", "java.lang.StackOverflowError",
            "java.lang.InternalError", "java.lang.UnknownError");

    private final WorkerPool pool;
    private final PoolSettings settings;
    final Call call;
    private final Worker w;
    private ScheduledFuture<?> deadline; // guarded by this
    private volatile boolean delivered;
    private volatile boolean unwritten; // its write failed in this JVM before a byte went out
    private String stopReason; // guarded by this
    private String stopAsked; // guarded by this: a stop asked of the slot (see askStop)
    private long killAt; // guarded by this: when a stopped call that runs is due a kill; 0: none
    private boolean running; // guarded by this: it is the first unanswered call of its worker
    private boolean over; // guarded by this: answered, or its worker ended; no stop nor stack for it any more
    private boolean stackAsked; // guarded by this: the call waits for the STACK of this run

    Attempt(WorkerPool pool, Call call, Worker w) {
        this.pool = pool;
        this.settings = pool.settings;
        this.call = call;
        this.w = w;
    }

    /** Taken from the queue for the worker, before its CALL is written; {@code first}: nothing runs there before it. */
    void sent(boolean first) {
        synchronized (call) {
            call.attempts++;
        }
        call.workerId = w.id;
        call.workerPid = w.processId.pid();
        call.attach(this);
        if (first) {
            started();
        }
    }

    /** Its CALL is written. */
    void delivered() {
        delivered = true;
    }

    boolean wasDelivered() {
        return delivered;
    }

    /** Its CALL was never written: the write failed in this JVM (no memory for the batch), not in the pipe. */
    void unwritten() {
        unwritten = true;
    }

    boolean wasUnwritten() {
        return unwritten;
    }

    /** It runs in the worker from now on: its timeout starts, or, stopped while it waited there, its grace. */
    synchronized void started() {
        running = true;
        if (stopReason != null) {
            killAt = System.nanoTime() + settings.grace.toNanos();
            w.post(Worker.WAKE);
        } else if (call.timeoutNanos > 0 && !over) {
            deadline = pool.timer.schedule(this::timedOut, call.timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Answered, or its worker ended: no kill, stop nor stack for it any more. */
    void over() {
        ScheduledFuture<?> d;
        synchronized (this) {
            over = true;
            d = deadline;
            if (stackAsked) {
                call.noStack(); // the STACK comes before the answer or the end: none now
            }
        }
        call.detach(this);
        if (d != null) {
            d.cancel(false);
        }
    }

    /**
     * The timer's, at the deadline: the call is claimed and counted now, its worker stopped
     * (a cancel, then a kill after the grace), and its future completes when the worker's
     * stack is in: at once for a worker that sends none, at most the pool's stack wait later.
     */
    private void timedOut() {
        if (!pool.completer.claim(call, Outcome.TIMED_OUT)) {
            return;
        }
        boolean stackComing = expectStack();
        String where = "worker " + w.id + " (pid " + w.processId.pid() + ")";
        String message = "call " + call.id + " timed out after " + TimeUnit.NANOSECONDS.toMillis(call.timeoutNanos)
                + " ms in " + where;
        Duration timeout = Duration.ofNanos(call.timeoutNanos);
        call.workerStack.thenAccept(frames -> pool.completer.finish(call, null,
                new CallTimeoutException(message, timeout, frames, "call " + call.id + " in " + where),
                Outcome.TIMED_OUT));
        if (!stackComing) {
            call.noStack();
        }
        askStop("timed out");
    }

    /**
     * The call, claimed, will wait for this run's STACK: true if the worker sends stacks, the
     * pool waits for them, and the call runs there now. The wait is bounded (see
     * {@link WorkerPool#awaitStack}).
     */
    boolean expectStack() {
        if (!w.sendsStacks() || pool.completer.stackWaitNanos == 0) {
            return false;
        }
        synchronized (this) {
            if (over || stackAsked || !running) {
                return false;
            }
            stackAsked = true;
        }
        pool.completer.awaitStack(call);
        return true;
    }

    /** The caller cancelled the future (already complete): stop the call as a timeout would. */
    void cancelledByCaller() {
        askStop("cancelled");
    }

    /**
     * Asks the slot to stop this call ({@link #stop}): a mark here, and a wake-up of the slot that
     * stands for any number of them, so that no stop is lost however many calls are stopped at
     * once (a pipelined worker's, a close's). Asked again once its CALL is written, if it was not.
     */
    void askStop(String reason) {
        synchronized (this) {
            if (stopAsked == null) {
                stopAsked = reason;
            }
        }
        w.calls.stopAsked();
        w.post(Worker.WAKE);
    }

    /** The slot's: stops the call if that was asked ({@link #askStop}) and it is not stopped yet. */
    void stopIfAsked() {
        String reason;
        synchronized (this) {
            reason = stopAsked;
        }
        if (reason != null) {
            stop(reason);
        }
    }

    /**
     * The slot's: sends CANCEL, once, to a call whose CALL went out and which is not answered;
     * a call that runs is due a kill after the grace. True if the CANCEL was sent now.
     */
    boolean stop(String reason) {
        synchronized (this) {
            if (stopReason != null || over || !delivered) {
                return false; // stopped already, over, or not sent yet (its sender stops it once it is)
            }
            stopReason = reason;
            if (running) {
                killAt = System.nanoTime() + settings.grace.toNanos();
            }
        }
        try {
            w.cancel(call.id);
        } catch (IOException e) {
            // the worker is dying; its end of stream will tell
        }
        return true;
    }

    /** When this stopped call is due a kill (System.nanoTime); 0 when it is not. */
    synchronized long killAt() {
        return over ? 0 : killAt;
    }

    synchronized boolean stopped() {
        return stopReason != null;
    }

    /** Why its worker is replaced when this call was stopped: how it was stopped. */
    synchronized String stopWord() {
        if (stopReason == null) {
            return null;
        }
        return switch (stopReason) {
            case "timed out" -> "timeout";
            case "cancelled" -> "cancelled";
            default -> "stopped";
        };
    }

    /** A STACK for this call arrived: for the call if it waits for one; a protocol error if it was never asked. */
    boolean stackArrived(Frame f) throws ProtocolException {
        synchronized (this) {
            if (stopReason == null) {
                return false;
            }
        }
        call.stackArrived(StackPayload.decode(f.payload()).frames().toArray(Call.NO_STACK));
        return true;
    }

    /**
     * The worker's reader, as this call's answer arrives: frees its place in {@code calls}, then
     * completes the call there and then (in that order: the caller it wakes finds the worker free
     * and sends its next call itself). The claim decides as everywhere: a call timed out,
     * cancelled or closed first stays as it is. The future is completed as {@link CallFuture}
     * does it, never by running a caller's callback on the reader.
     *
     * @return true if the worker must not take another call (a fatal error, see
     *     {@link PoolSettings.Builder#recycleAfterFatalError})
     * @throws ProtocolException if an ERROR's payload cannot be decoded; nothing is changed then
     */
    boolean answer(Frame f, InFlight calls) throws ProtocolException {
        ErrorPayload e = f.type() == FrameType.RESULT ? null : ErrorPayload.decode(f.payload());
        boolean fatal = e != null && settings.recycleAfterFatalError && FATAL_ERRORS.contains(e.className()) && !stopped();
        if (fatal) {
            calls.retire("fatal_error"); // before its place is free: no call may follow on this JVM
        }
        over();
        calls.answered();
        if (e == null) {
            pool.completer.complete(call, f.payload(), null, Outcome.SUCCEEDED);
        } else {
            pool.completer.complete(call, null, new TaskFailedException(e.className(), e.message(), e.stackTrace()),
                    Outcome.TASK_FAILED);
        }
        return fatal;
    }
}
