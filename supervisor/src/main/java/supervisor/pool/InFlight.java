package supervisor.pool;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import supervisor.log.Log;
import supervisor.log.Words;
import supervisor.worker.protocol.Frame;

/**
 * The calls one worker has been sent and has not answered, in the order it runs them, and the
 * sending of more: the first is running there, the others wait in the worker (at most
 * {@link PoolSettings.Builder#pipeline} in all).
 *
 * <p>Whoever has a reason to feed the worker does it on its own thread, with no hand-over to
 * another: the caller at {@link WorkerPool#submit}, the worker's reader as an answer frees a
 * place, the slot once the worker is ready. Calls taken from the pool's queue meanwhile go out in
 * one write. A thread other than the slot's sends only what a pipe takes without blocking on a
 * worker that reads its input ({@link #SMALL_BATCH}); a larger call is left to the slot, woken
 * for it, so a caller never waits on a worker's pipe.
 *
 * <p>A pipelining worker is refilled once it has answered half of what it holds, so that a busy
 * pool writes many calls at a time, and a worker's main thread reads them with one read. Only
 * small calls are pipelined: a call larger than {@link #SMALL_BATCH} goes to an idle worker, so a
 * worker never holds more than one large input.
 *
 * <p>Sending happens under this object's lock, so the frames reach the worker in the order of
 * {@link #attempts}, which is the order of the answers the reader accepts.
 */
final class InFlight {
    /** The most bytes a thread other than the slot's writes at once: a pipe's buffer holds 64 KiB. */
    static final int SMALL_BATCH = 32 * 1024;
    /**
     * The most bytes of several calls the slot writes at once; a larger call goes alone. A batch
     * is copied into one buffer for its one write: bounded so, it costs the supervisor's heap at
     * most this much beside the calls' own inputs, whatever the pipeline and the frame limit.
     */
    static final int BATCH = 1024 * 1024;

    private final WorkerPool pool;
    private final Worker w;
    private final ArrayDeque<Attempt> attempts = new ArrayDeque<>();
    private int depth = 1;
    /** The bytes of the CALLs of {@link #attempts}: the most the worker has not read. */
    private long bytesSent;
    /** Calls sent to this worker so far, for {@link PoolSettings#maxCallsPerWorker}. */
    private int sent;
    private boolean open;
    private volatile boolean stopsAsked;
    /** Why the worker takes no more calls, once it has answered those it has: null while it does. */
    private String retiring;

    InFlight(WorkerPool pool, Worker w) {
        this.pool = pool;
        this.w = w;
    }

    /** The worker is ready: it takes up to {@code calls} unanswered calls from now on. */
    synchronized void open(int calls) {
        depth = calls;
        open = true;
    }

    /**
     * Sends the worker calls from the pool's queue while it has room. {@code slot}: the slot's own
     * thread, which may send a call of any size; another leaves a large one to the slot.
     */
    void feed(boolean slot) {
        boolean wakeSlot = false;
        synchronized (this) {
            // Refilled in batches: a worker that still has more than half its calls to answer gets
            // none now, so the next write carries half a pipeline, not one call.
            if (!open || attempts.size() > depth / 2 || pool.abandoning()) {
                return;
            }
            List<Attempt> batch = null;
            long bytes = 0;
            while (attempts.size() < depth && retiring == null) {
                Call call = pool.queue.pollNow();
                if (call == null) {
                    break;
                }
                long size = Frame.HEADER_LENGTH + 4L + call.input.length;
                if (!attempts.isEmpty() && (size > SMALL_BATCH || bytesSent + size > w.pipeRoom)) {
                    // A large call waits for an idle worker: a worker holds at most one, so its
                    // heap needs room for one large input, not for a pipeline of them; and no more
                    // waits in its pipe than the pipe holds (Worker.pipeRoom).
                    pool.queue.putFirst(call);
                    break;
                }
                if (!slot && bytes + size > SMALL_BATCH) {
                    pool.queue.putFirst(call);
                    wakeSlot = bytes == 0; // not even one: the slot sends it
                    break;
                }
                if (slot && bytes > 0 && bytes + size > BATCH) {
                    pool.queue.putFirst(call); // in the next write
                    wakeSlot = true;
                    break;
                }
                pool.queue.leave(call);
                Attempt a = new Attempt(pool, call, w);
                a.sent(attempts.isEmpty());
                attempts.addLast(a);
                bytesSent += size;
                if (batch == null) {
                    batch = new ArrayList<>(Math.min(depth, 16));
                }
                batch.add(a);
                bytes += size;
                if (pool.settings.maxCallsPerWorker > 0 && ++sent >= pool.settings.maxCallsPerWorker) {
                    retiring = "max_calls";
                }
            }
            if (batch != null) {
                send(batch);
            }
        }
        if (wakeSlot) {
            w.post(Worker.WAKE);
        }
    }

    /**
     * Writes the batch's CALLs. On a write the pipe failed (the worker ended while it was written)
     * they stay here, undelivered: at the worker's end the slot retries or fails them as crashed,
     * since a call may be why its worker ended. On a failure in this JVM before the write (no
     * memory for the batch, a bug) no byte went out: they are marked unwritten, the worker is
     * killed, and at its end they go to the next worker, not counted as attempts.
     */
    private void send(List<Attempt> batch) {
        try {
            List<Frame> frames = new ArrayList<>(batch.size());
            for (Attempt a : batch) {
                frames.add(Frame.call(a.call.id, a.call.input));
            }
            w.send(frames);
        } catch (IOException e) {
            return; // the worker is gone: its reader's end tells the slot
        } catch (RuntimeException | Error e) {
            // Thrown in this JVM before the batch's one write (its buffer, a bug): no byte of it
            // went out, so the calls never reached the worker and go to the next one.
            Log.error("cannot send " + Words.count(batch.size(), "call", "calls") + " to worker " + w.id + ": " + e
                    + "; replacing it (the calls go to the next worker)");
            batch.forEach(Attempt::unwritten);
            w.kill("the supervisor could not send it calls");
            return;
        }
        for (Attempt a : batch) {
            a.delivered();
        }
        // A call cancelled or timed out before its CALL went out: stop it now that it has.
        for (Attempt a : batch) {
            if (a.call.claimed()) {
                a.askStop(a.call.future.isCancelled() ? "cancelled" : "stopped");
            }
        }
    }

    /** The call the worker runs now (the first unanswered); null when none. */
    synchronized Attempt head() {
        return attempts.peekFirst();
    }

    /** True if {@code callId} is among the unanswered calls: a STACK may come for it. */
    boolean has(long callId) {
        return find(callId) != null;
    }

    /** The id of the call whose answer may come next; 0 when none. For the reader's header check. */
    synchronized long expected() {
        Attempt a = attempts.peekFirst();
        return a == null ? 0 : a.call.id;
    }

    synchronized Attempt find(long callId) {
        for (Attempt a : attempts) {
            if (a.call.id == callId) {
                return a;
            }
        }
        return null;
    }

    /**
     * The reader: the first call was answered. Returns it; the next one, if any, has started in
     * the worker from now on.
     */
    synchronized Attempt answered() {
        Attempt a = attempts.pollFirst();
        if (a != null) {
            bytesSent -= Frame.HEADER_LENGTH + 4L + a.call.input.length;
        }
        Attempt next = attempts.peekFirst();
        if (next != null) {
            next.started();
        }
        return a;
    }

    /** No more calls for this worker: once those it has are answered, the slot stops it and says {@code why}. */
    synchronized void retire(String why) {
        if (retiring == null) {
            retiring = why;
        }
    }

    /** Why the worker retires, once it has answered every call it has; null otherwise. */
    synchronized String retired() {
        return attempts.isEmpty() ? retiring : null;
    }

    synchronized boolean isEmpty() {
        return attempts.isEmpty();
    }

    synchronized int size() {
        return attempts.size();
    }

    /** The calls it has, first the running one; no more are sent from now on. */
    synchronized List<Attempt> close() {
        open = false;
        List<Attempt> all = new ArrayList<>(attempts);
        attempts.clear();
        bytesSent = 0;
        return all;
    }

    /** Some attempt was asked to stop (see {@link Attempt#askStop}); the slot looks at them all. */
    void stopAsked() {
        stopsAsked = true;
    }

    /** The attempts to look at for stops asked since the last call; none if no stop was asked. */
    List<Attempt> takeStopsAsked() {
        if (!stopsAsked) {
            return List.of();
        }
        stopsAsked = false; // before the snapshot: a stop asked from now on is seen next time
        return snapshot();
    }

    /** A snapshot, first the running one. */
    synchronized List<Attempt> snapshot() {
        return new ArrayList<>(attempts);
    }
}
