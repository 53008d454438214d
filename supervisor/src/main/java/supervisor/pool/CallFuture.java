package supervisor.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The future of one call. Only the pool completes it: {@link #complete}, {@link #completeExceptionally},
 * {@link #obtrudeValue}, {@link #obtrudeException}, {@link #completeAsync}, {@link #orTimeout} and
 * {@link #completeOnTimeout} throw {@link UnsupportedOperationException} and change nothing, since a
 * result set by the caller would leave the call running in its worker and the pool's counts wrong.
 * A call's timeout is given to {@link WorkerPool#submit(byte[], java.time.Duration)}.
 *
 * <p>{@link #cancel} completes the future at once, then does what a timeout does: a cancel message
 * to the worker, then, if the call does not stop within the grace, the worker is killed and
 * replaced; the caller never waits for that. Where the call was when it was stopped comes with
 * {@link #workerStack()}. Everything else (get, join,
 * whenComplete, thenApply...) is that of {@link CompletableFuture}; the futures that thenApply and
 * the like return are plain ones of the caller's. The pool completes the future on its completion
 * executor ({@link PoolSettings.Builder#completionExecutor}), never on a thread of its own, so a
 * dependent action may block, submit calls and wait for them, or close the pool.
 */
public final class CallFuture extends OwnedFuture<byte[]> {
    private static final VarHandle WAITER;

    static {
        try {
            WAITER = MethodHandles.lookup().findVarHandle(CallFuture.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A failure handed over by the pool. */
    private record Failure(Throwable why) { }

    private static final Object NO_RESULT = new Object();
    /** How often a caller looks for the result the completion executor sets (see awaitHanded). */
    private static final long DONE_POLL_NANOS = 1_000_000;

    private final Call call;
    /**
     * The outcome the pool handed over (a {@code byte[]}, {@link #NO_RESULT} for null, or a
     * {@link Failure}), before the future is complete with it; null until then.
     */
    private volatile Object handed;
    /** A caller waiting in get or join: it completes the future itself, on its own thread. */
    private volatile Thread waiter;

    CallFuture(Call call) {
        this.call = call;
    }

    /** How many times the call was started: 1, or more when the pool retried it. */
    public int attempts() {
        synchronized (call) {
            return call.attempts;
        }
    }

    /** Nanoseconds from submit to completion, or -1 while the call is not complete. */
    public long nanos() {
        long done = call.completedAt;
        return done == 0 ? -1 : done - call.submittedAt;
    }

    /**
     * Where the call was in its worker when it was stopped: the stack of the worker's thread that
     * ran it, top frame first, as the worker sent it in answer to the cancel. Completes within
     * min(grace, {@link WorkerPool#MAX_STACK_WAIT}) of a {@link #cancel} or a timeout, with an
     * empty array if the worker sent none by then (frozen, killed, or the call had not started
     * there); for a call that ended otherwise, with an empty array when it completes. A timed-out
     * call's {@link CallTimeoutException#workerStack()} holds the same frames.
     *
     * <p>Cancelling a call completes its future at once with a plain
     * {@link java.util.concurrent.CancellationException}, as for any future; this is where its
     * stack comes later: {@code f.cancel(true); f.workerStack().toCompletableFuture().join()}.
     *
     * @return a stage of its own per call of this method: completing it changes nothing of the call
     */
    public CompletionStage<StackTraceElement[]> workerStack() {
        // Completed off the pool's threads, like the call's future: the caller's stages run there.
        return (call.pool == null ? call.workerStack.thenApply(StackTraceElement[]::clone)
                : call.workerStack.thenApplyAsync(StackTraceElement[]::clone, call.pool.completer::completeOff))
                .minimalCompletionStage();
    }

    /**
     * Cancels the call: the future completes at once with a
     * {@link java.util.concurrent.CancellationException}; if a worker runs the call, it is sent a
     * cancel, and killed and replaced if the call does not stop within the grace. Returns false
     * if the pool completed the call, or decided to (a timeout whose stack is on its way), first.
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (!call.claim()) {
            return false; // completed, or being completed, by the pool
        }
        Attempt r = call.pool != null ? call.run() : null; // no pool: a unit test's call
        boolean stackComing = r != null && r.expectStack();
        if (call.pool != null) {
            call.pool.completer.cancelled(call);
        }
        boolean done = super.cancel(mayInterruptIfRunning);
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w); // waiting in get or join: it is complete now
        }
        if (r != null) {
            r.cancelledByCaller();
        }
        if (!stackComing) {
            call.noStack();
        }
        return done;
    }

    /** Claims the call and completes it with {@code result}; false if it was claimed already. For tests. */
    boolean succeed(byte[] result) {
        return call.claim() && set(result);
    }

    /** Claims the call and fails it with {@code why}; false if it was claimed already. For tests. */
    boolean fail(Throwable why) {
        return call.claim() && setFailed(why);
    }

    /** Fails a claimed call on this thread, a caller's (a refused submit). */
    void failHere(Throwable why) {
        setFailed(why);
    }

    /** Completes a claimed call (see {@link Call#claim}) with its result. */
    void complete(byte[] result, boolean claimed) {
        hand(result == null ? NO_RESULT : result);
    }

    /** Completes a claimed call (see {@link Call#claim}) with a failure. */
    void complete(Throwable why) {
        hand(new Failure(why));
    }

    /**
     * Dependent actions without an executor run on the thread that completes the future: never
     * one of the pool's, which a callback that blocks, waits for other calls or closes the pool
     * would hold. A caller waiting in get or join completes it on its own thread (no hand-over:
     * the round trip of a synchronous call costs what it did); otherwise the pool's completion
     * executor does.
     */
    private void hand(Object outcome) {
        if (call.pool == null) {
            settle(outcome); // a unit test's call
            return;
        }
        handed = outcome;
        Thread w = waiter; // read after handed is set: a waiter that comes later sees it
        if (w != null) {
            LockSupport.unpark(w);
        } else {
            call.pool.completer.completeOff(this::settleHanded);
        }
    }

    private void settleHanded() {
        settle(handed);
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /** Completes the future with what the pool handed over; whoever comes second changes nothing. */
    private void settle(Object outcome) {
        if (outcome instanceof Failure f) {
            setFailed(f.why());
        } else if (outcome != null) {
            set(outcome == NO_RESULT ? null : (byte[]) outcome);
        }
    }

    /**
     * Waits until the pool hands the outcome over or the future is complete, until
     * {@code deadline} (System.nanoTime; 0: none), then completes the future on this thread with
     * what was handed over. Only one thread waits so; another returns at once and waits as
     * {@link CompletableFuture} does.
     *
     * @return false if interrupted (the interrupt is set again when {@code keepInterrupt})
     */
    private boolean awaitHanded(long deadline, boolean keepInterrupt) {
        if (call.pool == null || isDone() || !WAITER.compareAndSet(this, null, Thread.currentThread())) {
            return true;
        }
        boolean interrupted = false;
        try {
            while (handed == null && !isDone()) {
                if (deadline == 0) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    LockSupport.parkNanos(this, left);
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (!keepInterrupt) {
                        break;
                    }
                }
            }
        } finally {
            waiter = null;
            Object outcome = handed; // read after waiter is cleared: handed over to this thread, or hopping
            if (outcome != null && getNumberOfDependents() > 0) {
                // Completing here would run other threads' dependent actions on this caller, which
                // asked for its result only (and perhaps with a deadline): the completion executor
                // completes it and runs them. The result is set before they run; this thread
                // looks for it rather than waiting in CompletableFuture, whose waiters help run
                // the dependents too.
                call.pool.completer.completeOff(this::settleHanded);
                while (!isDone() && (deadline == 0 || deadline - System.nanoTime() > 0)) {
                    LockSupport.parkNanos(this, DONE_POLL_NANOS);
                }
            } else {
                settle(outcome);
            }
        }
        if (interrupted && keepInterrupt) {
            Thread.currentThread().interrupt();
        }
        return !interrupted;
    }

    @Override
    public byte[] get() throws InterruptedException, ExecutionException {
        if (!awaitHanded(0, false)) {
            throw new InterruptedException();
        }
        return super.get();
    }

    @Override
    public byte[] get(long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        long nanos = unit.toNanos(timeout);
        long deadline = System.nanoTime() + nanos;
        if (!awaitHanded(deadline == 0 ? 1 : deadline, false)) {
            throw new InterruptedException();
        }
        return super.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public byte[] join() {
        awaitHanded(0, true);
        return super.join();
    }
}
