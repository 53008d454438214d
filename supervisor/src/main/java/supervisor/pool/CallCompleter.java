package supervisor.pool;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Completes calls exactly once: whoever claims a call counts its outcome, then completes its
 * future (off the pool's threads: see {@link Completions}), its worker stack and its flight
 * recorder event. A timed-out or cancelled call may wait for its worker's stack, within a bound.
 */
final class CallCompleter {
    private final PoolCounters counters;
    private final Completions completions;
    private final ScheduledExecutorService timer;
    /** min(grace, {@link WorkerPool#MAX_STACK_WAIT}); 0: no waiting for stacks. */
    final long stackWaitNanos;
    private final Supplier<String> poolName;
    private final String taskName;
    /** Calls claimed, waiting for their worker's stack; close completes them. */
    private final Set<Call> pendingStacks = ConcurrentHashMap.newKeySet();

    CallCompleter(PoolCounters counters, Completions completions, ScheduledExecutorService timer, long stackWaitNanos,
            Supplier<String> poolName, String taskName) {
        this.counters = counters;
        this.completions = completions;
        this.timer = timer;
        this.stackWaitNanos = stackWaitNanos;
        this.poolName = poolName;
        this.taskName = taskName;
    }

    /** Runs a future's completion on the completion executor (on the calling thread once it has shut down). */
    void completeOff(Runnable completion) {
        completions.execute(completion);
    }

    /**
     * Completes a call with {@code result}, or with {@code why} when it is null; counts it in
     * {@code outcome} if this completed it. True if it did.
     */
    boolean complete(Call call, byte[] result, Throwable why, Outcome outcome) {
        if (!claim(call, outcome)) {
            return false;
        }
        finish(call, result, why, outcome);
        return true;
    }

    /** Takes the right to complete the call and counts it in {@code outcome}; false if someone else has it. */
    boolean claim(Call call, Outcome outcome) {
        if (!call.claim()) {
            return false;
        }
        counters.outcome(outcome);
        return true;
    }

    /** Completes a claimed call: its future, its stack (empty unless one is awaited), its JFR event. */
    void finish(Call call, byte[] result, Throwable why, Outcome outcome) {
        finish(call, result, why, outcome, false);
    }

    /** Fails a refused call on the caller's thread (submit's): its future has failed when submit returns. */
    void refuse(Call call, PoolException why, Outcome outcome) {
        if (claim(call, outcome)) {
            finish(call, null, why, outcome, true);
        }
    }

    /** {@link #finish}; with {@code here}, the future fails on this thread, which must be a caller's. */
    private void finish(Call call, byte[] result, Throwable why, Outcome outcome, boolean here) {
        call.completedAt = System.nanoTime();
        if (why == null) {
            counters.succeededIn(call.completedAt - call.submittedAt);
        }
        call.noStack();
        record(call, outcome);
        if (why == null) {
            call.future.complete(result, true);
        } else if (here) {
            call.future.failHere(why);
        } else {
            call.future.complete(why);
        }
    }

    /** The caller cancelled the call's future (claimed by the caller): counted here, once. */
    void cancelled(Call call) {
        call.completedAt = System.nanoTime();
        counters.outcome(Outcome.CANCELLED);
        record(call, Outcome.CANCELLED);
    }

    /** Commits the call's flight recorder event, if a recording wants it. */
    private void record(Call call, Outcome outcome) {
        CallEvent e = call.event;
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            e.pool = poolName.get();
            e.callId = call.id;
            e.outcome = outcome.label;
            e.worker = call.workerId;
            e.workerPid = call.workerPid;
            synchronized (call) {
                e.attempts = call.attempts;
            }
            e.task = taskName;
            e.inputBytes = call.input.length;
            e.commit();
        }
    }

    /**
     * The call waits for its worker's stack (a STACK frame in answer to the cancel), at most
     * {@link #stackWaitNanos}; close ends the wait too ({@link #noMoreStacks}).
     */
    void awaitStack(Call call) {
        pendingStacks.add(call);
        ScheduledFuture<?> bound;
        try {
            bound = timer.schedule(call::noStack, stackWaitNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            bound = null;
            call.noStack(); // closed
        }
        ScheduledFuture<?> timeout = bound;
        call.workerStack.whenComplete((frames, never) -> {
            pendingStacks.remove(call);
            if (timeout != null) {
                timeout.cancel(false); // the timer holds no call longer than it must
            }
        });
    }

    /** Close, after the timer: the calls waiting for a stack complete now. */
    void noMoreStacks() {
        pendingStacks.forEach(Call::noStack);
    }
}
