package supervisor.worker;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;
import supervisor.worker.protocol.StackPayload;

/**
 * Runs calls one at a time on one dedicated thread (so a task's thread-locals live across calls),
 * in the order they came, writes their answers, and exits after SHUTDOWN once every call accepted
 * has been answered. It holds as many unanswered calls as the supervisor's HELLO allows (its
 * {@link Hello#PIPELINE}; one without it): a supervisor that sends the next calls before the
 * answers of the first keeps this thread busy without a round trip between calls. While more
 * calls wait, an answer is held and written with the next ones (see {@link Flusher}), so a run
 * of short calls costs one write, and one wake-up of the supervisor, for many answers.
 *
 * <p>{@link #submit}, {@link #cancel} and {@link #shutdown} are called by the thread reading the
 * supervisor's frames; {@link #cancelAndAwaitIdle} and {@link #completedCalls} by any thread.
 */
final class CallRunner {
    /** Held answers are written once they reach this many bytes. */
    private static final int HOLD_BYTES = 32 * 1024;

    private final Task task;
    private final FrameWriter out;
    private final Thread thread;
    private final AtomicLong completed = new AtomicLong();
    private final Flusher flusher;

    private final Object lock = new Object();
    private final ArrayDeque<Call> pending = new ArrayDeque<>(); // accepted, not yet taken by the call thread
    private Call running; // being run; the only call whose CANCEL interrupts the thread
    private boolean shutdownRequested;
    private boolean sendStacks;
    private int pipeline = 1; // how many unanswered calls the supervisor may send

    CallRunner(Task task, FrameWriter out) {
        this.task = task;
        this.out = out;
        this.thread = new Thread(this::loop, "supervisor-call");
        this.flusher = new Flusher(out, this);
    }

    void start() {
        thread.start();
    }

    /** Calls answered so far, for heartbeats. */
    long completedCalls() {
        return completed.get();
    }

    /**
     * Hands a call to the call thread.
     *
     * @throws ProtocolException if a call is still unanswered or SHUTDOWN has been received
     */
    void submit(long callId, byte[] input) throws ProtocolException {
        synchronized (lock) {
            String id = Long.toUnsignedString(callId);
            if (shutdownRequested) {
                throw new ProtocolException("CALL " + id + " arrived after SHUTDOWN");
            }
            int unanswered = pending.size() + (running != null ? 1 : 0);
            if (unanswered >= pipeline) {
                Call busy = running != null ? running : pending.peekFirst();
                throw new ProtocolException("CALL " + id + " arrived while " + busy + " is still running"
                        + (pipeline == 1 ? "; one call at a time per worker"
                        : " and " + unanswered + " calls are unanswered; the supervisor's HELLO allowed " + pipeline));
            }
            pending.addLast(new Call(callId, input));
            if (unanswered == 0) {
                lock.notifyAll(); // the call thread waits for a call only when none is left
            }
        }
    }

    /**
     * From the supervisor's HELLO: whether to answer each CANCEL of an unanswered call with a
     * STACK frame, and how many unanswered calls to accept (its {@link Hello#PIPELINE}).
     */
    void agree(boolean stacks, int unanswered) {
        synchronized (lock) {
            sendStacks = stacks;
            pipeline = unanswered;
        }
    }

    /**
     * Cancels the call with this id and interrupts its thread, if it has not been answered yet;
     * first, if the supervisor asked for it, sends the STACK of the call thread as it is now (no
     * frames for a call that has not started). Ignored otherwise: the answer may already be on its
     * way to the supervisor.
     *
     * <p>The STACK is taken and written under the lock, before the interrupt: the call thread
     * clears {@code running} under the same lock before it writes its answer, so the STACK always
     * reaches the supervisor before the answer of its call, and shows where the task was, not
     * where an interrupt sent it.
     *
     * @throws IOException if the STACK could not be written (the supervisor is gone); the call is
     *     then not cancelled yet
     */
    void cancel(long callId) throws IOException {
        synchronized (lock) {
            if (running != null && running.id() == callId) {
                if (sendStacks) {
                    StackPayload stack = StackPayload.of(thread.getStackTrace());
                    out.write(Frame.stack(callId, stack.encode(out.maxPayloadLength())));
                }
                // Under the lock, so the interrupt cannot land after the call thread has moved on.
                running.cancellation().cancel(thread);
            } else {
                for (Call waiting : pending) {
                    if (waiting.id() == callId) {
                        if (sendStacks) {
                            out.write(Frame.stack(callId, new byte[0]));
                        }
                        waiting.cancellation().cancel(null);
                        return;
                    }
                }
            }
        }
    }

    /** Cancels without a STACK: for when the supervisor has gone. */
    private void cancelQuietly(Call call) {
        call.cancellation().cancel(call == running ? thread : null);
    }

    /** The call thread answers the call in flight, if any, then exits with status 0. */
    void shutdown() {
        synchronized (lock) {
            shutdownRequested = true;
            lock.notifyAll();
        }
    }

    boolean shutdownRequested() {
        synchronized (lock) {
            return shutdownRequested;
        }
    }

    /**
     * Cancels the unanswered call, if any, and waits until the task has returned from it.
     *
     * @param deadline a {@link System#nanoTime()} value
     * @return true if no call is left running, false if the deadline passed first
     */
    boolean cancelAndAwaitIdle(long deadline) {
        synchronized (lock) {
            for (Call call : pending) {
                cancelQuietly(call);
            }
            if (running != null) {
                cancelQuietly(running);
            }
            while (!pending.isEmpty() || running != null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private void loop() {
        for (Call call; (call = next()) != null; ) {
            Frame answer = call.run(task, out.maxPayloadLength());
            boolean more;
            synchronized (lock) {
                // Cleared before the answer is written: once the supervisor has read the answer
                // it may send the next CALL, which must not find this one still "running".
                running = null;
                lock.notifyAll();
                more = !pending.isEmpty();
            }
            // A CANCEL that raced with the end of the call interrupted this thread after the task
            // returned; that interrupt must not hit the next call.
            Thread.interrupted();
            completed.incrementAndGet();
            try {
                if (!more) {
                    out.write(answer); // with any held before it
                } else if (out.hold(answer) >= HOLD_BYTES) {
                    out.flush();
                } else {
                    flusher.soon();
                }
            } catch (IOException e) {
                Exit.supervisorGone("cannot write the " + answer + ": " + e.getMessage(), this);
            }
        }
        Exit.shutdown();
    }

    /** The next call to run, or null once SHUTDOWN has been received and every call answered. */
    private Call next() {
        synchronized (lock) {
            while (pending.isEmpty() && !shutdownRequested) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    // Only cancel() interrupts this thread, and only while a call runs: stale.
                }
            }
            Call call = pending.pollFirst();
            running = call;
            if (call != null && call.cancellation().isCancelled()) {
                // Cancelled before it started: the task sees what it would have seen a moment later.
                Thread.currentThread().interrupt();
            }
            return call;
        }
    }
}
