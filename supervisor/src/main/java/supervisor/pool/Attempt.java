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
 * One attempt of one call on one worker, run by the worker's slot thread: sends the CALL, waits
 * for the answer with a deadline, and decides what the worker's end of it means (answered, stopped
 * by a timeout, a cancel or close, crashed, broke the protocol). A call retried after a crash has
 * one attempt per worker it ran on.
 */
final class Attempt {
    /** What the slot does with the worker after the attempt. */
    enum Next { CONTINUE, RECYCLE, REPLACE }

    /** How long a worker may stay inside a frame without sending a byte (see {@link Worker#stalledInFrame}). */
    static final long FRAME_STALL_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long STALL_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** After a kill, how long to wait for the worker's output to end before giving up on it. */
    private static final long END_AFTER_KILL_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** Errors after which the worker's JVM is not trusted with another call. */
    private static final Set<String> FATAL_ERRORS = Set.of("java.lang.OutOfMemoryError", "java.lang.StackOverflowError",
            "java.lang.InternalError", "java.lang.UnknownError");

    private final WorkerPool pool;
    private final PoolSettings settings;
    final Call call;
    private final Worker w;
    private ScheduledFuture<?> deadline;
    private String stopReason; // set by this slot's thread only
    private String failedAs; // how the worker failed the call, for endReason(): slot thread only
    private long killAt;
    private boolean over; // guarded by this: the run's wait has ended; no kill for it any more
    private boolean killing; // guarded by this
    private boolean stackAsked; // guarded by this: the call waits for the STACK of this run

    Attempt(WorkerPool pool, Call call, Worker w) {
        this.pool = pool;
        this.settings = pool.settings;
        this.call = call;
        this.w = w;
    }

    Next execute() throws InterruptedException {
        pool.queue.leave(call);
        if (call.claimed()) {
            return Next.CONTINUE; // cancelled or timed out while it waited
        }
        synchronized (call) {
            call.attempts++;
        }
        call.workerId = w.id;
        call.workerPid = w.processId.pid();
        call.attach(this);
        try {
            if (call.timeoutNanos > 0) {
                deadline = pool.timer.schedule(this::timedOut, call.timeoutNanos, TimeUnit.NANOSECONDS);
            }
            w.gate.expect(call.id); // before the CALL: its answer may follow at once
            w.answering(this);
            try {
                w.send(Frame.call(call.id, call.input));
            } catch (IOException | IllegalArgumentException e) {
                return ended(null);
            }
            if (call.claimed()) {
                stop(call.future.isCancelled() ? "cancelled" : "stopped");
            }
            return await();
        } finally {
            w.answering(null);
            call.detach(this);
            synchronized (this) {
                over = true;
                if (stackAsked) {
                    call.noStack(); // the STACK comes before the answer or the end: none now
                }
            }
            if (deadline != null) {
                deadline.cancel(false);
            }
        }
    }

    private Next await() throws InterruptedException {
        try {
            while (true) {
                long now = System.nanoTime();
                long wake = stopReason != null ? killAt : now + STALL_CHECK_NANOS;
                Worker.Event e = w.next(wake);
                if (e == null) {
                    if (stopReason != null && System.nanoTime() - killAt >= 0) {
                        if (!killFor("the call did not stop within the grace")) {
                            Log.warn("worker " + w.id + " left no end of stream after its kill; replacing it");
                            return Next.REPLACE;
                        }
                    } else if (w.stuckInFrame(FRAME_STALL_NANOS)) {
                        return protocolError("worker " + w.id + " stopped in the middle of a frame (nothing, or"
                                + " less than 1 MiB/s, for " + TimeUnit.NANOSECONDS.toMillis(FRAME_STALL_NANOS) + " ms)");
                    }
                    continue;
                }
                if (e instanceof Worker.Stop s) {
                    if (s.run() == this || s.run() == null) {
                        stop(s.reason());
                    }
                    continue;
                }
                if (e instanceof Worker.Ended end) {
                    return ended(end.failure());
                }
                Frame f = ((Worker.Received) e).frame();
                if ((f.type() == FrameType.RESULT || f.type() == FrameType.ERROR) && f.callId() == call.id) {
                    return answered(f);
                }
                if (f.type() == FrameType.STACK && f.callId() == call.id && stopReason != null) {
                    call.stackArrived(StackPayload.decode(f.payload()).frames().toArray(Call.NO_STACK));
                    continue;
                }
                if (f.type() == FrameType.STACK && f.callId() == call.id) {
                    return protocolError("worker " + w.id + " sent the STACK of call " + call.id
                            + " before it was sent a cancel");
                }
                return protocolError("worker " + w.id + " sent " + f.type() + " for call " + Long.toUnsignedString(f.callId())
                        + " while call " + call.id + " was running");
            }
        } catch (ProtocolException e) {
            return protocolError("worker " + w.id + " broke the protocol: " + e.getMessage());
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
        w.post(new Worker.Stop(this, "timed out"));
    }

    /**
     * The call, claimed, will wait for this run's STACK: true if the worker sends stacks, the
     * pool waits for them, and the run is not over. The wait is bounded (see
     * {@link WorkerPool#awaitStack}).
     */
    boolean expectStack() {
        if (!w.sendsStacks() || pool.completer.stackWaitNanos == 0) {
            return false;
        }
        synchronized (this) {
            if (over || stackAsked) {
                return false;
            }
            stackAsked = true;
        }
        pool.completer.awaitStack(call);
        return true;
    }

    /** The caller cancelled the future (already complete): stop the call as a timeout would. */
    void cancelledByCaller() {
        w.post(new Worker.Stop(this, "cancelled"));
    }

    /** Close: the future is complete already. */
    void closed() {
        w.post(new Worker.Stop(this, "closed"));
    }

    /** Sends CANCEL now (from this slot's thread), and kills the worker if the call still runs after the grace. */
    private void stop(String reason) {
        if (stopReason != null) {
            return;
        }
        stopReason = reason;
        killAt = System.nanoTime() + settings.grace.toNanos();
        try {
            w.send(Frame.cancel(call.id));
        } catch (IOException e) {
            // the worker is dying; its end of stream will tell
        }
    }

    /** Kills the worker, then waits (bounded) for its end of stream; false if none came. */
    private boolean killFor(String why) throws InterruptedException {
        synchronized (this) {
            killing = true;
        }
        Log.debug("worker " + w.id + ": call " + call.id + ": " + why + ": killing the worker");
        w.kill();
        long end = System.nanoTime() + END_AFTER_KILL_NANOS;
        while (true) {
            Worker.Event e = w.next(end);
            if (e == null) {
                return false;
            }
            if (e instanceof Worker.Ended) {
                w.events.offer(e);
                return true;
            }
        }
    }

    /** Why this run's worker is replaced: how the call was stopped, or how the worker failed it. */
    String endReason() {
        if (stopReason == null) {
            return failedAs == null ? "unknown" : failedAs;
        }
        return switch (stopReason) {
            case "timed out" -> "timeout";
            case "cancelled" -> "cancelled";
            default -> "stopped";
        };
    }

    /**
     * The worker's reader, as the answer of this attempt's call arrives: completes the call there
     * and then, one hand-off before the slot's thread sees the answer (which then finds the call
     * complete). The claim decides as everywhere: a call timed out, cancelled or closed first
     * stays as it is. The future is completed as {@link CallFuture} does it, never by running a
     * caller's callback on the reader. An answer that cannot be decoded is left to the slot.
     */
    void answerArrived(Frame f) {
        if (f.callId() != call.id) {
            return;
        }
        if (f.type() == FrameType.RESULT) {
            pool.completer.complete(call, f.payload(), null, Outcome.SUCCEEDED);
        } else if (f.type() == FrameType.ERROR) {
            try {
                ErrorPayload e = ErrorPayload.decode(f.payload());
                pool.completer.complete(call, null, new TaskFailedException(e.className(), e.message(), e.stackTrace()),
                        Outcome.TASK_FAILED);
            } catch (ProtocolException e) {
                // the slot reports it as the worker's protocol error
            }
        }
    }

    private Next answered(Frame f) throws ProtocolException {
        if (stopReason != null) {
            // It stopped within the grace: the worker is fine; the call's future was completed already.
            synchronized (this) {
                over = true;
                return killing ? Next.REPLACE : Next.CONTINUE;
            }
        }
        if (f.type() == FrameType.RESULT) {
            pool.completer.complete(call, f.payload(), null, Outcome.SUCCEEDED);
            return Next.CONTINUE;
        }
        ErrorPayload e = ErrorPayload.decode(f.payload());
        pool.completer.complete(call, null, new TaskFailedException(e.className(), e.message(), e.stackTrace()), Outcome.TASK_FAILED);
        return settings.recycleAfterFatalError && FATAL_ERRORS.contains(e.className()) ? Next.RECYCLE : Next.CONTINUE;
    }

    /** The worker's output ended: it died, was killed, broke the protocol, or the supervisor could not take a frame. */
    private Next ended(Throwable failure) {
        if (failure instanceof Error error) {
            failedAs = "supervisor_error";
            w.kill();
            pool.completer.complete(call, null, new SupervisorErrorException("the supervisor could not receive the answer of call "
                    + call.id + " from worker " + w.id + " (" + error + "); the worker was replaced", error),
                    Outcome.PROTOCOL);
            return Next.REPLACE;
        }
        if (stopReason != null) {
            return Next.REPLACE; // its future was completed when it was stopped
        }
        if (failure instanceof ProtocolException p && w.alive()) {
            return protocolError("worker " + w.id + " broke the protocol: " + p.getMessage());
        }
        int status = w.awaitExit(5000);
        Worker.Death d = w.death(status);
        if (status < 0) {
            w.kill();
        }
        String why = d.message() + " while running call " + call.id;
        Log.warn(why);
        failedAs = "crashed";
        pool.retryOrFail(call, d.crashed(" while running call " + call.id), Outcome.CRASHED);
        return Next.REPLACE;
    }

    private Next protocolError(String why) {
        failedAs = "protocol";
        Log.warn(why + "; killing and replacing it");
        w.kill();
        pool.completer.complete(call, null, new ProtocolErrorException(why), Outcome.PROTOCOL);
        return Next.REPLACE;
    }
}
