package supervisor.pool;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
import supervisor.log.Reasons;

/**
 * One place in the pool, and the thread that owns it: starts a worker, feeds it calls one at a
 * time, waits for its answers, and replaces it when it dies, hangs, breaks the protocol or has
 * served its quota. The same thread spawns every worker of the slot and lives as long as the
 * pool, so the workers' parent-death signal is tied to a thread that does not end before them.
 *
 * <p>This thread never blocks on a worker without a deadline: it waits for the worker's
 * {@link Worker.Event}s (frames, their end, stops) with one, or until close posts a stop, and its
 * writes are guarded by {@link Worker#send}. A call's future is completed by whoever decides its
 * fate, at that moment: the worker's reader when the answer arrives (see
 * {@link Attempt#answerArrived}), the timer at the timeout, the caller's cancel, close; stopping
 * the worker (a cancel, then a kill after the grace) happens here afterwards, without holding the
 * caller. How one call runs on the worker is {@link Attempt}'s; how a worker starts, {@link WorkerStart}'s.
 */
final class Slot implements Runnable {
    private static final long IDLE_POLL_MILLIS = 200;

    private final WorkerPool pool;
    private final PoolSettings settings;
    private final int index;
    private int generation;
    private volatile Worker worker;
    private volatile Attempt current;
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
                Attempt r = current;
                if (r != null) {
                    pool.completer.complete(r.call, null, new SupervisorErrorException("the supervisor failed while running call "
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
     * Serves calls until the worker must be replaced or the pool is finished.
     *
     * @return why the worker is replaced (see {@link #restarts()}), or null when the pool is finished
     */
    private String serve(Worker w) throws InterruptedException {
        int served = 0;
        while (true) {
            Call call = pool.queue.poll(IDLE_POLL_MILLIS);
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
                pool.queue.leave(call);
                pool.completer.complete(call, null, new PoolClosedException("the pool was closed before the call ran"), Outcome.CANCELLED);
                continue;
            }
            Attempt run = new Attempt(pool, call, w);
            current = run;
            Attempt.Next next;
            try {
                next = run.execute();
            } finally {
                current = null;
            }
            if (next == Attempt.Next.REPLACE) {
                return run.endReason();
            }
            served++;
            if (next == Attempt.Next.RECYCLE) {
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
        long deadline = System.nanoTime() + Attempt.FRAME_STALL_NANOS - stalled;
        while (w.stalledInFrame() > 0) {
            if (System.nanoTime() - deadline >= 0) {
                Log.warn("worker " + w.id + " started a frame while idle and sent nothing more for "
                        + TimeUnit.NANOSECONDS.toMillis(Attempt.FRAME_STALL_NANOS) + " ms; replacing it");
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

    /** Close: the call in flight is stopped, a starting worker is given up. */
    void abandon() {
        Attempt r = current;
        if (r != null) {
            pool.completer.complete(r.call, null, new PoolClosedException("the pool was closed while the call ran"), Outcome.CANCELLED);
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

    /** The pool's timer: see {@link Worker#checkWrite}. */
    void checkWrite(long now) {
        Worker w = worker;
        if (w != null) {
            w.checkWrite(now);
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


    /** How often this slot's worker was replaced, and why. */
    WorkerRestarts restarts() {
        return restarts.snapshot();
    }
}
