package supervisor.pool;

import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
import supervisor.log.Reasons;
import supervisor.platform.Signal;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;
import supervisor.worker.protocol.StackPayload;

/**
 * One place in the pool, and the thread that owns it: starts a worker, feeds it calls one at a
 * time, waits for its answers, and replaces it when it dies, hangs, breaks the protocol or has
 * served its quota. The same thread spawns every worker of the slot and lives as long as the
 * pool, so the workers' parent-death signal is tied to a thread that does not end before them.
 *
 * <p>This thread never blocks on a worker without a deadline: it waits for the worker's
 * {@link Worker.Event}s (frames, their end, stops) with one, or until close posts a stop, and its
 * writes are guarded by {@link Worker#send}. A call's future is completed by whoever decides its
 * fate, at that moment: the timer at the timeout, the caller's cancel, close; stopping the worker
 * (a cancel, then a kill after the grace) happens here afterwards, without holding the caller.
 */
final class Slot implements Runnable {
    private static final long IDLE_POLL_MILLIS = 200;
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
    private final int index;
    private int generation;
    private volatile Worker worker;
    private volatile Run current;

    Slot(WorkerPool pool, int index) {
        this.pool = pool;
        this.settings = pool.settings;
        this.index = index;
    }

    private enum Next { CONTINUE, RECYCLE, REPLACE }

    @Override
    public void run() {
        while (!pool.finished()) {
            try {
                if (!pool.awaitStartTurn()) {
                    continue; // finished
                }
                worker = startReady();
                if (worker != null) {
                    pool.workerReady(true);
                    readyWorker = worker;
                    try {
                        lastEnd = serve(worker);
                    } finally {
                        readyWorker = null;
                        pool.workerReady(false);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable t) {
                // An Error (or a bug) here must not cost a call its completion nor the pool a slot.
                Run r = current;
                if (r != null) {
                    pool.complete(r.call, null, new SupervisorErrorException("the supervisor failed while running call "
                            + r.call.id + ": " + t, t), Outcome.PROTOCOL);
                }
                Log.error("pool slot " + (index + 1) + " failed: " + t + "; replacing its worker");
                lastEnd = "supervisor_error";
                if (worker != null) {
                    worker.kill();
                }
            } finally {
                current = null;
                Worker w = worker;
                worker = null;
                if (w != null) {
                    try {
                        w.release();
                    } catch (Throwable t) {
                        Log.error("cannot release worker " + w.id + ": " + Reasons.of(t));
                    }
                }
            }
        }
    }

    /** Starts a worker and waits for READY; null (after a back-off) when it could not start. */
    private Worker startReady() throws InterruptedException {
        String id = "w" + (index + 1) + (generation++ == 0 ? "" : "." + generation);
        boolean first = generation == 1;
        Worker w;
        try {
            w = Worker.start(pool, id);
        } catch (IOException e) {
            return startFailed(null, first, new WorkerStartException("cannot start worker " + id + ": " + e.getMessage(), -1));
        }
        worker = w;
        pool.workerStarted(!first);
        if (!first) {
            countRestart();
        }
        long deadline = System.nanoTime() + settings.startupTimeout.toNanos();
        boolean hello = false;
        try {
            while (true) {
                Worker.Event e = w.next(deadline);
                if (e == null) {
                    w.kill();
                    return startFailed(w, first, new WorkerStartException("worker " + id + " did not start within "
                            + settings.startupTimeout.toMillis() + " ms", -1, true));
                }
                if (e instanceof Worker.Stop) {
                    if (pool.abandoning()) {
                        w.kill();
                        return null; // closed while it started: not a failure
                    }
                    continue;
                }
                if (e instanceof Worker.Ended end) {
                    if (end.failure() instanceof ProtocolException p) {
                        w.kill();
                        return startFailed(w, first, notStarted(w, " broke the protocol while starting: " + p.getMessage()));
                    }
                    return endedWhileStarting(w, first);
                }
                Frame f = ((Worker.Received) e).frame();
                if (!hello) {
                    if (f.type() != FrameType.HELLO) {
                        w.kill();
                        return startFailed(w, first, notStarted(w, " sent " + f.type() + " before HELLO"));
                    }
                    w.sendsStacks(Hello.decode(f.payload()).says(Hello.STACK_ON_CANCEL));
                    hello = true;
                } else if (f.type() == FrameType.READY) {
                    pool.startSucceeded(id);
                    return w;
                } else if (f.type() == FrameType.FATAL) {
                    ErrorPayload err = ErrorPayload.decode(f.payload());
                    // The class named is the worker stub's own TaskLoadException: its message is the reason.
                    return startFailed(w, first, notStarted(w, " cannot load its task"
                            + (err.message() == null ? "" : ": " + err.message())));
                } else {
                    w.kill();
                    return startFailed(w, first, notStarted(w, " sent " + f.type() + " before READY"));
                }
            }
        } catch (ProtocolException e) {
            w.kill();
            return startFailed(w, first, notStarted(w, " broke the protocol while starting: " + e.getMessage()));
        }
    }

    /** The worker's own reason for not starting: what it said, then how it ended and its last stderr lines. */
    private static WorkerStartException notStarted(Worker w, String what) {
        int status = w.awaitExit(2000);
        Worker.Death d = w.death(status);
        return new WorkerStartException(d.message() + " (" + what.trim() + ")", status, true);
    }

    /**
     * The worker ended before READY without a word: it could not start, or a signal from outside
     * (the OOM killer, an operator) killed it while it started, which the pool counts apart.
     */
    private Worker endedWhileStarting(Worker w, boolean first) throws InterruptedException {
        int status = w.awaitExit(2000);
        Worker.Death d = w.death(status);
        if (!w.wasKilled() && d.killedFromOutside()) {
            WorkerStartException why = new WorkerStartException("worker " + w.id + " (pid " + w.processId.pid()
                    + ") was killed by " + Signal.name(d.signal()) + " while starting, not by the"
                    + " supervisor (status " + status + ")", status);
            return startFailed(w, first, why, true);
        }
        return startFailed(w, first, new WorkerStartException(d.message() + " (before it was ready)", status, true), false);
    }

    private Worker startFailed(Worker w, boolean first, WorkerStartException why) throws InterruptedException {
        return startFailed(w, first, why, false);
    }

    /** A start failed: the pool decides (fail fast, count it, go down); then a back-off, unless the pool is down. */
    private Worker startFailed(Worker w, boolean first, WorkerStartException why, boolean killedFromOutside)
            throws InterruptedException {
        worker = null;
        lastEnd = killedFromOutside ? "killed_while_starting" : "start_failed";
        if (w != null) {
            w.release();
        }
        int failures = pool.startFailed(first, why, killedFromOutside);
        if (!pool.finished() && !pool.breaker().down()) {
            if (!first) {
                Log.warn(why.getMessage()); // a first start's failure goes to WorkerPool.start's caller
            }
            pool.awaitFinishedOrTimeout(Math.min(5000, 50L << Math.min(failures, 7)));
        }
        return null;
    }

    /**
     * Serves calls until the worker must be replaced or the pool is finished.
     *
     * @return why the worker is replaced (see {@link #restarts()}), or null when the pool is finished
     */
    private String serve(Worker w) throws InterruptedException {
        int served = 0;
        while (true) {
            Call call = pool.pollCall(IDLE_POLL_MILLIS);
            if (!idleCheck(w)) {
                if (call != null) {
                    pool.putBack(call); // it never started: first in line for the next worker
                }
                return "ended_while_idle";
            }
            if (call == null) {
                if (pool.finished()) {
                    w.stop(settings.grace.toNanos());
                    return null;
                }
                continue;
            }
            if (pool.abandoning()) {
                pool.leaveQueue(call);
                pool.complete(call, null, new PoolClosedException("the pool was closed before the call ran"), Outcome.CANCELLED);
                continue;
            }
            Run run = new Run(call, w);
            current = run;
            Next next;
            try {
                next = run.execute();
            } finally {
                current = null;
            }
            if (next == Next.REPLACE) {
                return run.endReason();
            }
            served++;
            if (next == Next.RECYCLE) {
                Log.debug("worker " + w.id + " had a fatal error in a call: recycling it");
                w.stop(settings.grace.toNanos());
                return "fatal_error";
            }
            if (settings.maxCallsPerWorker > 0 && served >= settings.maxCallsPerWorker) {
                Log.debug("worker " + w.id + " served " + served + " calls: recycling it");
                w.stop(settings.grace.toNanos());
                return "max_calls";
            }
        }
    }

    /**
     * Between calls a worker may send heartbeats only. False (the worker killed) when it sent
     * anything else, ended, or stays inside a frame; such a worker must not get a call.
     */
    private boolean idleCheck(Worker w) throws InterruptedException {
        for (Worker.Event e; (e = w.events.poll()) != null; ) {
            if (e instanceof Worker.Received r) {
                Log.warn("worker " + w.id + " sent " + r.frame().type() + " while idle; replacing it");
                w.kill();
                return false;
            }
            if (e instanceof Worker.Ended end) {
                if (end.failure() != null && w.alive()) {
                    Log.warn("worker " + w.id + " broke the protocol while idle: " + end.failure().getMessage()
                            + "; replacing it");
                    w.kill();
                } else {
                    Log.warn(w.death(w.awaitExit(1000)).message() + " while idle; replacing it");
                }
                return false;
            }
            // a stale Stop: of a run already over, or close (the caller checks the phase)
        }
        long stalled = w.stalledInFrame();
        if (stalled == 0) {
            return true;
        }
        // A frame in progress between calls: a heartbeat arriving (one write, gone in microseconds),
        // or a worker that started a frame and stopped. Give it the stall limit to finish.
        long deadline = System.nanoTime() + FRAME_STALL_NANOS - stalled;
        while (w.stalledInFrame() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                Log.warn("worker " + w.id + " started a frame while idle and sent nothing more for "
                        + TimeUnit.NANOSECONDS.toMillis(FRAME_STALL_NANOS) + " ms; replacing it");
                w.kill();
                return false;
            }
            Worker.Event e = w.next(Math.min(deadline, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5)));
            if (e != null && !(e instanceof Worker.Stop)) {
                w.events.offer(e); // looked at again below; a Stop between calls is stale
                return idleCheck(w);
            }
        }
        return true;
    }

    /** One call on one worker. */
    final class Run {
        final Call call;
        private final Worker w;
        private ScheduledFuture<?> deadline;
        private String stopReason; // set by this slot's thread only
        private String failedAs; // how the worker failed the call, for endReason(): slot thread only
        private long killAt;
        private boolean over; // guarded by this: the run's wait has ended; no kill for it any more
        private boolean killing; // guarded by this
        private boolean stackAsked; // guarded by this: the call waits for the STACK of this run

        Run(Call call, Worker w) {
            this.call = call;
            this.w = w;
        }

        Next execute() throws InterruptedException {
            pool.leaveQueue(call);
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
            if (!pool.claim(call, Outcome.TIMED_OUT)) {
                return;
            }
            boolean stackComing = expectStack();
            String where = "worker " + w.id + " (pid " + w.processId.pid() + ")";
            String message = "call " + call.id + " timed out after " + TimeUnit.NANOSECONDS.toMillis(call.timeoutNanos)
                    + " ms in " + where;
            Duration timeout = Duration.ofNanos(call.timeoutNanos);
            call.workerStack.thenAccept(frames -> pool.finish(call, null,
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
            if (!w.sendsStacks() || pool.stackWaitNanos == 0) {
                return false;
            }
            synchronized (this) {
                if (over || stackAsked) {
                    return false;
                }
                stackAsked = true;
            }
            pool.awaitStack(call);
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

        private Next answered(Frame f) throws ProtocolException {
            if (stopReason != null) {
                // It stopped within the grace: the worker is fine; the call's future was completed already.
                synchronized (this) {
                    over = true;
                    return killing ? Next.REPLACE : Next.CONTINUE;
                }
            }
            if (f.type() == FrameType.RESULT) {
                pool.complete(call, f.payload(), null, Outcome.SUCCEEDED);
                return Next.CONTINUE;
            }
            ErrorPayload e = ErrorPayload.decode(f.payload());
            pool.complete(call, null, new TaskFailedException(e.className(), e.message(), e.stackTrace()), Outcome.TASK_FAILED);
            return settings.recycleAfterFatalError && FATAL_ERRORS.contains(e.className()) ? Next.RECYCLE : Next.CONTINUE;
        }

        /** The worker's output ended: it died, was killed, broke the protocol, or the supervisor could not take a frame. */
        private Next ended(Throwable failure) {
            if (failure instanceof Error error) {
                failedAs = "supervisor_error";
                w.kill();
                pool.complete(call, null, new SupervisorErrorException("the supervisor could not receive the answer of call "
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
            pool.complete(call, null, new ProtocolErrorException(why), Outcome.PROTOCOL);
            return Next.REPLACE;
        }
    }

    /** Close: the call in flight is stopped, a starting worker is given up. */
    void abandon() {
        Run r = current;
        if (r != null) {
            pool.complete(r.call, null, new PoolClosedException("the pool was closed while the call ran"), Outcome.CANCELLED);
            r.closed();
        }
        Worker w = worker;
        if (w != null) {
            w.post(new Worker.Stop(null, "closed"));
        }
    }

    /** Close, when this slot's thread did not end in time: kill its worker from the closing thread. */
    void killWorker() {
        Worker w = worker;
        if (w != null) {
            w.kill();
        }
    }

    /** True while a call runs here. */
    boolean busy() {
        return current != null;
    }

    /** The pid of this slot's worker when it is ready or busy; 0 otherwise. For tests. */
    int readyWorkerPid() {
        Worker w = worker;
        return w != null && readyWorker == w ? w.processId.pid() : 0;
    }

    private volatile Worker readyWorker;

    // ---- restarts, for WorkerPool.restartsByWorker -------------------------------------------

    private String lastEnd; // why this slot's last worker ended: the next start counts it (slot thread only)
    private long restarts; // guarded by reasons
    private final Map<String, Long> reasons = new LinkedHashMap<>();

    /** A replacement started: counted with the reason its predecessor ended. */
    private void countRestart() {
        synchronized (reasons) {
            restarts++;
            reasons.merge(lastEnd == null ? "unknown" : lastEnd, 1L, Long::sum);
        }
        lastEnd = null;
    }

    /** How often this slot's worker was replaced, and why. */
    WorkerRestarts restarts() {
        synchronized (reasons) {
            return new WorkerRestarts(index + 1, restarts,
                    Collections.unmodifiableMap(new LinkedHashMap<>(reasons)));
        }
    }
}
