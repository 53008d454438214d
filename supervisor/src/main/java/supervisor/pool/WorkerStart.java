package supervisor.pool;

import supervisor.log.Log;
import supervisor.platform.Signal;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;

/**
 * One worker's start, from its spawn until it says READY, on its slot's thread: waits for HELLO
 * and READY within the start-up timeout, and turns every way of not getting there into the
 * worker's own reason (what it said, how it ended, its last stderr lines). A failed start is
 * reported to the pool's {@link StartGovernor}, then backed off from.
 */
final class WorkerStart {
    private final WorkerPool pool;
    private final PoolSettings settings;
    private final String id;
    private final boolean first;
    /** Run first when the start fails: the slot forgets the worker before it is released. */
    private final Runnable forget;
    /** Why the start failed, for the slot's restart reasons: set when it did. */
    private String failure;

    WorkerStart(WorkerPool pool, String id, boolean first, Runnable forget) {
        this.pool = pool;
        this.forget = forget;
        this.settings = pool.settings;
        this.id = id;
        this.first = first;
    }

    /** "killed_while_starting" or "start_failed" once the start failed; null otherwise. */
    String failure() {
        return failure;
    }

    /** Waits for the worker's HELLO and READY; the worker, or null (after a back-off) when it did not start. */
    Worker awaitReady(Worker w) throws InterruptedException {
        long deadline = System.nanoTime() + settings.startupTimeout.toNanos();
        boolean hello = false;
        try {
            while (true) {
                Worker.Event e = w.next(deadline);
                if (e == null) {
                    w.kill();
                    return failed(w, new WorkerStartException("worker " + id + " did not start within "
                            + settings.startupTimeout.toMillis() + " ms", -1, true));
                }
                if (e instanceof Worker.Wake) {
                    if (pool.abandoning()) {
                        w.kill();
                        return null; // closed while it started: not a failure
                    }
                    continue;
                }
                if (e instanceof Worker.Ended end) {
                    if (end.failure() instanceof ProtocolException p) {
                        w.kill();
                        return failed(w, notStarted(w, " broke the protocol while starting: " + p.getMessage()));
                    }
                    return endedWhileStarting(w);
                }
                Frame f = ((Worker.Received) e).frame();
                if (!hello) {
                    if (f.type() != FrameType.HELLO) {
                        w.kill();
                        return failed(w, notStarted(w, " sent " + f.type() + " before HELLO"));
                    }
                    Hello said = Hello.decode(f.payload());
                    w.agreed(said.says(Hello.STACK_ON_CANCEL), said.says(Hello.PIPELINE), said.says(Hello.CONTROL));
                    hello = true;
                } else if (f.type() == FrameType.READY) {
                    pool.startSucceeded(id);
                    return w;
                } else if (f.type() == FrameType.FATAL) {
                    ErrorPayload err = ErrorPayload.decode(f.payload());
                    // The class named is the worker stub's own TaskLoadException: its message is the reason.
                    return failed(w, notStarted(w, " cannot load its task"
                            + (err.message() == null ? "" : ": " + err.message())));
                } else {
                    w.kill();
                    return failed(w, notStarted(w, " sent " + f.type() + " before READY"));
                }
            }
        } catch (ProtocolException e) {
            w.kill();
            return failed(w, notStarted(w, " broke the protocol while starting: " + e.getMessage()));
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
    private Worker endedWhileStarting(Worker w) throws InterruptedException {
        int status = w.awaitExit(2000);
        Worker.Death d = w.death(status);
        if (!w.wasKilled() && d.killedFromOutside()) {
            WorkerStartException why = new WorkerStartException("worker " + w.id + " (pid " + w.processId.pid()
                    + ") was killed by " + Signal.name(d.signal()) + " while starting, not by the"
                    + " supervisor (status " + status + ")", status);
            return failed(w, why, true);
        }
        return failed(w, new WorkerStartException(d.message() + " (before it was ready)", status, true), false);
    }

    Worker failed(Worker w, WorkerStartException why) throws InterruptedException {
        return failed(w, why, false);
    }

    /** A start failed: the pool decides (fail fast, count it, go down); then a back-off, unless the pool is down. */
    private Worker failed(Worker w, WorkerStartException why, boolean killedFromOutside) throws InterruptedException {
        failure = killedFromOutside ? "killed_while_starting" : "start_failed";
        forget.run();
        if (w != null) {
            w.release();
        }
        int failures = pool.startFailed(first, why, killedFromOutside);
        if (!pool.finished() && !pool.governor().down()) {
            if (!first) {
                Log.warn(why.getMessage()); // a first start's failure goes to WorkerPool.start's caller
            }
            pool.awaitFinishedOrTimeout(Math.min(5000, 50L << Math.min(failures, 7)));
        }
        return null;
    }
}
