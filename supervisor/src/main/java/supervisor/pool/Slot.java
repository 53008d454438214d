package supervisor.pool;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
import supervisor.log.Reasons;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.ProtocolException;

/**
 * One place in the pool, and the thread that owns it: starts a worker, watches it while it serves
 * calls, and replaces it when it dies, hangs, breaks the protocol or has served its quota. The
 * same thread spawns every worker of the slot and lives as long as the pool, so the workers'
 * parent-death signal is tied to a thread that does not end before them.
 *
 * <p>Calls do not pass through this thread: callers and the worker's reader send them
 * ({@link InFlight}), and the reader completes each as its answer arrives. This thread is woken
 * only for what is not a call's normal course: a stop (a timeout, a cancel, close), a kill due
 * after the grace, the worker's end, a frame that has no place, a call too large for another
 * thread to send, the worker's retirement. It never blocks on a worker without a deadline: it
 * waits for the worker's {@link Worker.Event}s with one, and its writes are guarded by
 * {@link Worker#send}. How a worker starts is {@link WorkerStart}'s.
 */
final class Slot implements Runnable {
    private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long STALL_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** After a kill, how long to wait for the worker's output to end before giving up on it. */
    private static final long END_AFTER_KILL_NANOS = TimeUnit.SECONDS.toNanos(3);

    private final WorkerPool pool;
    private final PoolSettings settings;
    private final int index;
    private int generation;
    private volatile Worker worker;
    private volatile Worker readyWorker;
    /** Why this slot's last worker ended: the next start counts it (slot thread only). */
    private String lastEnd;
    private final RestartLog restarts;

    Slot(WorkerPool pool, int index) {
        this.pool = pool;
        this.settings = pool.settings;
        this.index = index;
        this.restarts = new RestartLog(index + 1);
    }

    @Override
    public void run() {
        while (!pool.finished()) {
            try {
                if (!pool.awaitStartTurn()) {
                    continue; // finished
                }
                worker = startReady();
                if (worker != null) {
                    pool.counters.workerReady(true);
                    readyWorker = worker;
                    try {
                        lastEnd = serve(worker);
                    } finally {
                        readyWorker = null;
                        pool.counters.workerReady(false);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Throwable t) {
                // An Error (or a bug) here must not cost a call its completion nor the pool a slot.
                Log.error("pool slot " + (index + 1) + " failed: " + t + "; replacing its worker");
                Worker w = worker;
                if (w != null) {
                    w.kill();
                    Left left = takeCalls(w);
                    Attempt r = left.running();
                    if (r != null) {
                        pool.completer.complete(r.call, null, new SupervisorErrorException("the supervisor failed while"
                                + " running call " + r.call.id + ": " + t, t), Outcome.PROTOCOL);
                    }
                    failUnsent(w, left.unsent());
                }
                lastEnd = "supervisor_error";
            } finally {
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
        WorkerStart start = new WorkerStart(pool, id, first, () -> worker = null);
        Worker w;
        try {
            w = Worker.start(pool, id);
        } catch (IOException e) {
            start.failed(null, new WorkerStartException("cannot start worker " + id + ": " + e.getMessage(), -1));
            lastEnd = start.failure();
            return null;
        }
        worker = w;
        pool.counters.workerStarted(!first);
        if (!first) {
            restarts.count(lastEnd);
            lastEnd = null;
        }
        Worker ready = start.awaitReady(w);
        if (start.failure() != null) {
            lastEnd = start.failure();
        }
        return ready;
    }

    /**
     * Watches the worker while it serves calls, until it must be replaced or the pool is finished.
     *
     * @return why the worker is replaced (see {@link #restarts()}), or null when the pool is finished
     */
    private String serve(Worker w) throws InterruptedException {
        InFlight calls = w.calls;
        calls.open(w.pipeline());
        if (w.pipeline() > 1) {
            Log.debug("worker " + w.id + " takes up to " + w.pipeline() + " calls at a time");
        }
        long killedAt = 0; // when this thread killed the worker; 0: it did not
        String killedFor = null; // why: the stop word of a call that outlived its grace, or "protocol"
        while (true) {
            calls.feed(true);
            for (Attempt a : calls.takeStopsAsked()) {
                a.stopIfAsked();
            }
            long now = System.nanoTime();
            if (killedAt != 0 && now - killedAt >= END_AFTER_KILL_NANOS) {
                Log.warn("worker " + w.id + " left no end of stream after its kill; replacing it");
                return ended(w, null, killedFor);
            }
            Attempt head = calls.head();
            long due = head == null ? 0 : head.killAt();
            if (due != 0 && now - due >= 0 && killedAt == 0) {
                Log.debug("worker " + w.id + ": call " + head.call.id + ": the call did not stop within the grace: killing the worker");
                w.kill();
                killedAt = now;
                killedFor = head.stopWord();
            }
            String retired = calls.retired();
            if (retired != null && killedAt == 0) {
                Log.debug("worker " + w.id + " retires (" + retired + ")");
                calls.close();
                w.stop(settings.grace.toNanos());
                return retired;
            }
            if (head == null && pool.finished() && killedAt == 0) {
                calls.close();
                w.stop(settings.grace.toNanos());
                return null;
            }
            if (killedAt == 0 && w.stuckInFrame(Attempt.FRAME_STALL_NANOS)) {
                String why = "worker " + w.id + (head == null ? " started a frame while idle and sent nothing more for "
                        + TimeUnit.NANOSECONDS.toMillis(Attempt.FRAME_STALL_NANOS) + " ms"
                        : " stopped in the middle of a frame (nothing, or less than 1 MiB/s, for "
                        + TimeUnit.NANOSECONDS.toMillis(Attempt.FRAME_STALL_NANOS) + " ms)");
                return protocolError(w, why);
            }
            long wake = now + (head == null ? IDLE_POLL_NANOS : STALL_CHECK_NANOS);
            if (due != 0 && killedAt == 0) {
                wake = Math.min(wake, due);
            }
            if (killedAt != 0) {
                wake = Math.min(wake, killedAt + END_AFTER_KILL_NANOS);
            }
            Worker.Event e = w.next(wake);
            if (e == null || e == Worker.WAKE) {
                continue;
            }
            if (e instanceof Worker.Ended end) {
                return ended(w, end.failure(), killedFor);
            }
            if (killedAt != 0) {
                continue; // killed: its last frames do not matter
            }
            Frame f = ((Worker.Received) e).frame();
            try {
                if (f.type() == FrameType.STACK) {
                    Attempt a = calls.find(f.callId());
                    if (a != null && a.stackArrived(f)) {
                        continue;
                    }
                    if (a != null) {
                        return protocolError(w, "worker " + w.id + " sent the STACK of call " + a.call.id
                                + " before it was sent a cancel");
                    }
                    continue; // a STACK of a call answered meanwhile
                }
            } catch (ProtocolException p) {
                return protocolError(w, "worker " + w.id + " broke the protocol: " + p.getMessage());
            }
            Log.warn("worker " + w.id + " sent " + f.type() + (head == null ? " while idle" : " while call " + head.call.id
                    + " was running") + "; replacing it");
            w.kill();
            killedAt = System.nanoTime();
            killedFor = "protocol";
        }
    }

    /**
     * The worker's output ended: it died, was killed, broke the protocol, or the supervisor could
     * not take a frame. The call it ran is retried or failed; those that waited behind it there
     * never started: first in line again. A call whose CALL was being written when the worker
     * ended may be why it ended (a worker whose heap cannot hold it): it counts as an attempt.
     */
    private String ended(Worker w, Throwable failure, String killedFor) {
        Left left = takeCalls(w);
        Attempt head = left.running();
        List<Attempt> unsent = left.unsent();
        if (failure instanceof Error error) {
            w.kill();
            if (head != null) {
                pool.completer.complete(head.call, null, new SupervisorErrorException("the supervisor could not receive the answer of call "
                        + head.call.id + " from worker " + w.id + " (" + error + "); the worker was replaced", error),
                        Outcome.PROTOCOL);
            }
            failUnsent(w, unsent);
            return "supervisor_error";
        }
        if (head == null && !unsent.isEmpty()) {
            failUnsent(w, unsent);
            return killedFor != null ? killedFor : w.stoppedReading() ? "stopped_reading" : "crashed";
        }
        if (head == null) {
            if (killedFor != null) {
                return killedFor;
            }
            if (failure != null && w.alive()) {
                Log.warn("worker " + w.id + " broke the protocol while idle: " + failure.getMessage() + "; replacing it");
                w.kill();
            } else {
                Log.warn(w.death(w.awaitExit(1000)).message() + " while idle; replacing it");
            }
            return "ended_while_idle";
        }
        String stopped = head.stopWord();
        if (stopped != null) {
            failUnsent(w, unsent);
            return stopped; // its future was completed when it was stopped
        }
        if ("protocol".equals(killedFor)) {
            pool.completer.complete(head.call, null, new ProtocolErrorException("worker " + w.id
                    + " broke the protocol while call " + head.call.id + " was running"), Outcome.PROTOCOL);
            failUnsent(w, unsent);
            return "protocol";
        }
        if (failure instanceof ProtocolException p && w.alive()) {
            String why = "worker " + w.id + " broke the protocol: " + p.getMessage();
            Log.warn(why + "; killing and replacing it");
            w.kill();
            pool.completer.complete(head.call, null, new ProtocolErrorException(why), Outcome.PROTOCOL);
            failUnsent(w, unsent);
            return "protocol";
        }
        int status = w.awaitExit(5000);
        Worker.Death d = w.death(status);
        if (status < 0) {
            w.kill();
        }
        Log.warn(d.message() + " while running call " + head.call.id);
        pool.retryOrFail(head.call, d.crashed(" while running call " + head.call.id), Outcome.CRASHED);
        failUnsent(w, unsent);
        return "crashed";
    }

    /** The calls a worker had as it ended: the one it ran, and those whose CALL was not written whole. */
    private record Left(Attempt running, List<Attempt> unsent) {
    }

    /**
     * Takes the worker's calls as it ends: those that waited behind the one it ran never started
     * and go back first in line; the one it ran, and those whose CALL was not written whole, are
     * returned for the caller to decide.
     */
    private Left takeCalls(Worker w) {
        List<Attempt> all = w.calls.close();
        Attempt running = null;
        List<Attempt> unsent = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            Attempt a = all.get(i);
            a.over();
            if (!a.wasDelivered() && a.wasUnwritten()) {
                if (!a.call.claimed()) {
                    pool.putBackUnstarted(a.call); // no byte of it reached the worker
                }
            } else if (!a.wasDelivered()) {
                unsent.add(0, a);
            } else if (i == 0) {
                running = a;
            } else if (!a.call.claimed()) {
                pool.putBackUnstarted(a.call);
            }
        }
        return new Left(running, unsent);
    }

    /** The calls whose CALL was being written as the worker ended: retried or failed as crashed (see {@link #ended}). */
    private void failUnsent(Worker w, List<Attempt> unsent) {
        Worker.Death d = null;
        for (Attempt a : unsent) {
            if (a.call.claimed()) {
                continue;
            }
            if (d == null) {
                int status = w.awaitExit(5000);
                d = w.death(status);
                if (status < 0) {
                    w.kill();
                }
                Log.warn(d.message() + " while call " + a.call.id + " was being sent to it");
            }
            pool.retryOrFail(a.call, d.crashed(" while call " + a.call.id + " was being sent to it"), Outcome.CRASHED);
        }
    }

    /** A protocol error found by this thread: the worker is killed, the call it ran fails, the others go back. */
    private String protocolError(Worker w, String why) {
        Log.warn(why + "; killing and replacing it");
        w.kill();
        Left left = takeCalls(w);
        if (left.running() != null) {
            pool.completer.complete(left.running().call, null, new ProtocolErrorException(why), Outcome.PROTOCOL);
        }
        failUnsent(w, left.unsent());
        return "protocol";
    }

    /** Close: the calls in flight are failed and stopped, a starting worker is given up. */
    void abandon() {
        Worker w = worker;
        if (w == null) {
            return;
        }
        for (Attempt r : w.calls.snapshot()) {
            pool.completer.complete(r.call, null, new PoolClosedException("the pool was closed while the call ran"), Outcome.CANCELLED);
            r.askStop("closed");
        }
        w.post(Worker.WAKE); // a worker still starting: the slot gives it up
    }

    /** Wakes this slot's thread to look at the pool's phase and queue again. */
    void wake() {
        Worker w = worker;
        if (w != null) {
            w.post(Worker.WAKE);
        }
    }

    /** Sends calls from the queue to this slot's worker, if it is ready and has room; from a caller's thread. */
    void feed() {
        Worker w = readyWorker;
        if (w != null) {
            w.calls.feed(false);
        }
    }

    /** True if this slot's worker is ready and runs no call. */
    boolean idle() {
        Worker w = readyWorker;
        return w != null && w.calls.isEmpty();
    }

    /** Close, when this slot's thread did not end in time: kill its worker from the closing thread. */
    void killWorker() {
        Worker w = worker;
        if (w != null) {
            w.kill();
        }
    }

    /** The pool's timer: see {@link Worker#checkWrite}. */
    void checkWrite(long now) {
        Worker w = worker;
        if (w != null) {
            w.checkWrite(now);
        }
    }

    /** Calls sent to this slot's worker and not answered. */
    int inFlight() {
        Worker w = worker;
        return w == null ? 0 : w.calls.size();
    }

    /** The pid of this slot's worker when it is ready or busy; 0 otherwise. For tests. */
    int readyWorkerPid() {
        Worker w = worker;
        return w != null && readyWorker == w ? w.processId.pid() : 0;
    }


    /** How often this slot's worker was replaced, and why. */
    WorkerRestarts restarts() {
        return restarts.snapshot();
    }
}
