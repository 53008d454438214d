package supervisor.pool;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;

/**
 * One place in the pool, and the thread that owns it: starts a worker, feeds it calls one at a
 * time, reads its answers, and replaces it when it dies, hangs, breaks the protocol or has served
 * its quota. The same thread spawns every worker of the slot and lives as long as the pool, so
 * the workers' parent-death signal is tied to a thread that does not end before them.
 *
 * <p>The only way to interrupt a worker is to kill it: timeouts and cancels run on the pool's
 * timer thread and end, if the worker does not stop by itself, in a kill, which the blocked read
 * here sees as the end of the stream.
 */
final class Slot implements Runnable {
    private static final int QUIET_START_FAILURES = 3;
    private static final long IDLE_POLL_MILLIS = 200;

    private final WorkerPool pool;
    private final PoolSettings settings;
    private final int index;
    private int generation;
    private int startFailures;
    private Worker worker;

    Slot(WorkerPool pool, int index) {
        this.pool = pool;
        this.settings = pool.settings;
        this.index = index;
    }

    private enum Next { CONTINUE, REPLACE }

    @Override
    public void run() {
        try {
            while (!pool.finished()) {
                worker = startReady();
                if (worker == null) {
                    continue;
                }
                pool.workerReady(true);
                try {
                    serve(worker);
                } finally {
                    pool.workerReady(false);
                }
                worker.release();
                worker = null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (worker != null) {
                worker.release();
            }
        }
    }

    /** Starts a worker and waits for READY; null (after a back-off) when it could not start. */
    private Worker startReady() throws InterruptedException {
        String id = "w" + (index + 1) + (generation++ == 0 ? "" : "." + generation);
        Worker w;
        try {
            w = Worker.start(settings, id);
        } catch (IOException e) {
            return startFailed(null, "cannot start worker " + id + ": " + e.getMessage());
        }
        pool.workerStarted(generation > 1);
        // A worker that does not become ready in time is killed: the read below then ends.
        ScheduledFuture<?> deadline = pool.timer.schedule(w::kill, settings.startupTimeout.toNanos(),
                TimeUnit.NANOSECONDS);
        try {
            Frame hello = w.reader.read();
            if (hello == null || hello.type() != FrameType.HELLO) {
                return startFailed(w, w.describeDeath(w.awaitExit(2000)) + " before saying hello");
            }
            Hello.decode(hello.payload());
            while (true) {
                Frame f = w.reader.read();
                if (f == null) {
                    int status = w.awaitExit(2000);
                    String why = deadline.isDone() ? "worker " + id + " did not start within "
                            + settings.startupTimeout.toMillis() + " ms" : w.describeDeath(status) + " while starting";
                    return startFailed(w, why);
                }
                if (f.type() == FrameType.READY) {
                    startFailures = 0;
                    return w;
                }
                if (f.type() == FrameType.FATAL) {
                    ErrorPayload e = ErrorPayload.decode(f.payload());
                    return startFailed(w, "worker " + id + " cannot load its task: " + e.className()
                            + (e.message() == null ? "" : ": " + e.message()));
                }
                if (f.type() != FrameType.HEARTBEAT) {
                    return startFailed(w, "worker " + id + " sent " + f.type() + " before READY");
                }
            }
        } catch (ProtocolException e) {
            return startFailed(w, "worker " + id + " broke the protocol while starting: " + e.getMessage());
        } catch (IOException e) {
            return startFailed(w, w.describeDeath(w.awaitExit(2000)) + " while starting");
        } finally {
            deadline.cancel(false);
        }
    }

    /**
     * A start failed. After a few in a row the worker jar is presumably broken: one waiting call
     * is failed with the reason each time, so that callers hear of it instead of waiting forever.
     */
    private Worker startFailed(Worker w, String why) throws InterruptedException {
        if (w != null) {
            w.release();
        }
        startFailures++;
        Log.warn(why);
        if (startFailures >= QUIET_START_FAILURES) {
            Call c = pool.pollCall(0);
            if (c != null) {
                pool.fail(c, new WorkerCrashedException(why, -1), Outcome.CRASHED);
            }
        }
        long backoff = Math.min(5000, 50L << Math.min(startFailures, 7));
        pool.awaitFinishedOrTimeout(backoff);
        return null;
    }

    /** Serves calls until the worker must be replaced or the pool is finished. */
    private void serve(Worker w) throws InterruptedException {
        int served = 0;
        while (true) {
            Call call = pool.pollCall(IDLE_POLL_MILLIS);
            if (call == null) {
                if (pool.draining()) {
                    w.stop(settings.grace.toNanos());
                    return;
                }
                if (!w.alive() || !drainIdle(w)) {
                    Log.warn(w.describeDeath(w.awaitExit(1000)) + " while idle; replacing it");
                    return;
                }
                continue;
            }
            if (call.future.isDone()) {
                continue; // cancelled while it waited
            }
            if (pool.abandoning()) {
                pool.fail(call, new PoolClosedException("the pool was closed before the call ran"), Outcome.CANCELLED);
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
                return;
            }
            served++;
            if (settings.maxCallsPerWorker > 0 && served >= settings.maxCallsPerWorker) {
                Log.debug("worker " + w.id + " served " + served + " calls: recycling it");
                w.stop(settings.grace.toNanos());
                return;
            }
        }
    }

    /** Reads what an idle worker sent (heartbeats); false if it sent anything else. */
    private boolean drainIdle(Worker w) {
        try {
            while (w.frameWaiting()) {
                Frame f = w.reader.read();
                if (f == null || f.type() != FrameType.HEARTBEAT) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The state of the call in flight, shared by this slot's thread and the pool's timer. */
    private enum State { RUNNING, TIMED_OUT, CANCELLED, CLOSED, KILLED }

    /** One call on one worker. */
    final class Run {
        private final Call call;
        private final Worker w;
        private State state = State.RUNNING;
        private State stopReason;
        private ScheduledFuture<?> timer;
        private boolean over; // the read loop has ended: nothing may stop or kill for this run

        Run(Call call, Worker w) {
            this.call = call;
            this.w = w;
        }

        Next execute() throws InterruptedException {
            synchronized (call) {
                call.attempts++;
            }
            call.attach(this);
            try {
                w.writer.write(Frame.call(call.id, call.input));
            } catch (IOException | IllegalArgumentException e) {
                return crashed(w.awaitExit(2000));
            }
            long timeout = call.timeoutNanos;
            synchronized (this) {
                if (timeout > 0) {
                    timer = pool.timer.schedule(() -> stop(State.TIMED_OUT), timeout, TimeUnit.NANOSECONDS);
                }
            }
            if (call.future.isCancelled()) {
                cancelledByCaller();
            } else if (pool.abandoning()) {
                stop(State.CLOSED);
            }
            try {
                while (true) {
                    Frame f = w.reader.read();
                    if (f == null) {
                        return ended(w.awaitExit(5000));
                    }
                    if (f.type() == FrameType.HEARTBEAT) {
                        continue;
                    }
                    if ((f.type() == FrameType.RESULT || f.type() == FrameType.ERROR) && f.callId() == call.id) {
                        return answered(f);
                    }
                    return protocolError("worker " + w.id + " sent " + f.type() + " for call " + f.callId()
                            + " while call " + call.id + " was running");
                }
            } catch (ProtocolException e) {
                return protocolError("worker " + w.id + " broke the protocol: " + e.getMessage());
            } catch (IOException e) {
                return ended(w.awaitExit(5000));
            } finally {
                call.attach(null);
                synchronized (this) {
                    // A timeout that fires as the answer arrives must not kill the worker later,
                    // in the middle of its next call.
                    over = true;
                    if (timer != null) {
                        timer.cancel(false);
                    }
                }
            }
        }

        /** The caller cancelled the future: stop the call as a timeout would. */
        void cancelledByCaller() {
            stop(State.CANCELLED);
        }

        /** Sends CANCEL now, and kills the worker if the call still runs after the grace. */
        void stop(State reason) {
            synchronized (this) {
                if (state != State.RUNNING || over) {
                    return;
                }
                state = reason;
                stopReason = reason;
                if (timer != null) {
                    timer.cancel(false);
                }
                timer = pool.timer.schedule(this::kill, settings.grace.toNanos(), TimeUnit.NANOSECONDS);
            }
            try {
                w.writer.write(Frame.cancel(call.id));
            } catch (IOException e) {
                // the worker is dying; the read will tell
            }
        }

        private void kill() {
            synchronized (this) {
                if (state == State.RUNNING || state == State.KILLED || over) {
                    return;
                }
                state = State.KILLED;
            }
            Log.debug("worker " + w.id + ": call " + call.id + " did not stop within the grace: killing the worker");
            w.kill();
        }

        private synchronized State stopReason() {
            return stopReason;
        }

        private Next answered(Frame f) throws ProtocolException {
            State reason = stopReason();
            if (reason != null) {
                // It stopped within the grace: the worker is fine, the call still failed.
                finishStopped(reason);
                return Next.CONTINUE;
            }
            if (f.type() == FrameType.RESULT) {
                pool.succeed(call, f.payload());
            } else {
                ErrorPayload e = ErrorPayload.decode(f.payload());
                pool.fail(call, new TaskFailedException(e.className(), e.message(), e.stackTrace()), Outcome.TASK_FAILED);
            }
            return Next.CONTINUE;
        }

        /** The stream ended: the worker died, or was killed on our side. */
        private Next ended(int status) {
            State reason = stopReason();
            if (reason != null) {
                finishStopped(reason);
                return Next.REPLACE;
            }
            return crashed(status);
        }

        private Next crashed(int status) {
            String why = w.describeDeath(status) + " while running call " + call.id;
            Log.warn(why);
            pool.retryOrFail(call, new WorkerCrashedException(why, status), Outcome.CRASHED);
            return Next.REPLACE;
        }

        private void finishStopped(State reason) {
            switch (reason) {
                case TIMED_OUT -> pool.retryOrFail(call, new CallTimeoutException("call " + call.id + " timed out after "
                        + TimeUnit.NANOSECONDS.toMillis(call.timeoutNanos) + " ms"), Outcome.TIMED_OUT);
                case CLOSED -> pool.fail(call, new PoolClosedException("the pool was closed while the call ran"),
                        Outcome.CANCELLED);
                default -> pool.fail(call, new CancellationException("cancelled"), Outcome.CANCELLED);
            }
        }

        private Next protocolError(String why) {
            Log.warn(why + "; killing and replacing it");
            w.kill();
            pool.fail(call, new ProtocolErrorException(why), Outcome.PROTOCOL);
            return Next.REPLACE;
        }
    }

    /** Stops the call in flight, if any, because the pool is being closed. */
    void abandon() {
        Run r = current;
        if (r != null) {
            r.stop(State.CLOSED);
        }
    }

    private volatile Run current;
}
