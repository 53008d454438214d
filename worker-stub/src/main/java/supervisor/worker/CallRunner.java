package supervisor.worker;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameReader;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;
import supervisor.worker.protocol.StackPayload;

/**
 * Reads the supervisor's CALLs and SHUTDOWN from stdin and runs the calls, one at a time and in
 * order, on one dedicated thread (so a task's thread-locals live across calls), writes their
 * answers, and exits after SHUTDOWN once every call accepted has been answered.
 *
 * <p><b>Why the call thread reads stdin itself.</b> A CALL read by one thread and run by another
 * costs two context switches a call (the reader hands the call over and blocks again); on a
 * virtual machine a switch costs more than the rest of a small call. So the thread that runs the
 * calls is the only one that reads stdin: between calls it waits in {@code read} for the next
 * one. A CANCEL must still reach a call that runs, while nobody reads stdin: it comes on the
 * control channel, which the main thread reads ({@link WorkerMain}, {@link Hello#CONTROL}).
 *
 * <p>It holds as many unanswered calls as the supervisor's HELLO allows ({@link Hello#PIPELINE};
 * one without it). When the supervisor pipelines, after each call that leaves none waiting it
 * reads what has been sent meanwhile, without waiting for more; while calls wait, an answer is
 * held and written with the next ones (see {@link Flusher}), so a run of short calls costs one
 * write, and one wake-up of the supervisor, for many answers. Reading those frames before the
 * answer goes out also keeps the protocol's rule checkable: a CALL found then was sent before
 * the answer, so beyond the pipeline it is an error.
 *
 * <p>{@link #cancel} is called by the thread reading the control channel;
 * {@link #cancelAndAwaitIdle}, {@link #shutdownRequested} and {@link #completedCalls} by any.
 */
final class CallRunner {
    /** Held answers are written once they reach this many bytes. */
    private static final int HOLD_BYTES = 32 * 1024;

    private final Task task;
    private final FrameWriter out;
    private final FrameReader in;
    private final ProtocolInput input; // under the reader, for what has arrived
    private final Thread thread;
    private final AtomicLong completed = new AtomicLong();
    private final Flusher flusher;

    private final Object lock = new Object();
    private final ArrayDeque<Call> pending = new ArrayDeque<>(); // read, not yet run
    /**
     * CANCELs of calls not read yet (their CALL still in the pipe), by id, with the number of
     * calls completed when each came: a CANCEL that crossed its call's answer stays here, unused,
     * until {@link #forgetStaleCancels} drops it.
     */
    private final Map<Long, Long> cancelledAhead = new HashMap<>();
    private Call running; // being run; the only call whose CANCEL interrupts the thread
    private boolean shutdownRequested;
    private boolean sendStacks;
    private int pipeline = 1; // how many unanswered calls the supervisor may send
    private boolean inputEnded; // the call thread's own: stdin ended while it read ahead
    /**
     * Whether to look for frames that arrived during a call, before its answer: only when the
     * supervisor pipelines. With one call at a time nothing may come before the answer but
     * SHUTDOWN, which waits as well as it is read; and the look costs two system calls a call
     * (FileInputStream.available: fstat, then FIONREAD), the price of a context switch here.
     * It follows that with one call at a time a CALL sent before the answer cannot be told from
     * one sent after it: it is run as the next call.
     */
    private boolean lookAhead;

    CallRunner(Task task, FrameWriter out, FrameReader in, ProtocolInput input) {
        this.task = task;
        this.out = out;
        this.in = in;
        this.input = input;
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
     * From the supervisor's HELLO: whether to answer each CANCEL of an unanswered call with a
     * STACK frame, and how many unanswered calls to accept (its {@link Hello#PIPELINE}).
     */
    void agree(boolean stacks, int unanswered) {
        synchronized (lock) {
            sendStacks = stacks;
            pipeline = unanswered;
        }
        lookAhead = unanswered > 1; // before the call thread starts: it reads it without the lock
    }

    private boolean pendingIsEmpty() {
        synchronized (lock) {
            return pending.isEmpty();
        }
    }

    /**
     * Cancels the call with this id and interrupts its thread, if it has not been answered yet;
     * first, if the supervisor asked for it, sends the STACK of the call thread as it is now (an
     * empty one for a call that has not started). A call not read yet is cancelled as it is read.
     * Ignored for a call already answered: the answer may be on its way to the supervisor.
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
                return;
            }
            for (Call waiting : pending) {
                if (waiting.id() == callId) {
                    cancelBeforeStart(waiting);
                    return;
                }
            }
            cancelledAhead.put(callId, completed.get());
            forgetStaleCancels();
        }
    }

    /** Under the lock: a call cancelled before it runs; the task sees what it would a moment later. */
    private void cancelBeforeStart(Call call) throws IOException {
        if (sendStacks) {
            out.write(Frame.stack(call.id(), new byte[0]));
        }
        call.cancellation().cancel(null);
    }

    /**
     * Under the lock. A CANCEL's call is read within a pipeline's calls of it, if it comes at
     * all; one kept longer crossed its answer and can never be used.
     */
    private void forgetStaleCancels() {
        long now = completed.get();
        cancelledAhead.values().removeIf(at -> now - at > 2L * pipeline + 8);
    }

    /** Cancels without a STACK: for when the supervisor has gone. */
    private void cancelQuietly(Call call) {
        call.cancellation().cancel(call == running ? thread : null);
    }

    boolean shutdownRequested() {
        synchronized (lock) {
            return shutdownRequested;
        }
    }

    /**
     * Cancels the unanswered call, if any, and waits until the task has returned from it. On the
     * call thread itself there is nothing to wait for: it is between calls.
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
            if (Thread.currentThread() == thread) {
                return true;
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
        try {
            for (Call call; (call = next()) != null; ) {
                Frame answer = call.run(task, out.maxPayloadLength());
                // A CANCEL that raced with the end of the call interrupted this thread after the
                // task returned; that interrupt must not hit the reads below nor the next call.
                Thread.interrupted();
                if (lookAhead && pendingIsEmpty()) {
                    readArrived();
                }
                boolean more;
                synchronized (lock) {
                    // Cleared before the answer is written: once the supervisor has read the answer
                    // it may send the next CALL, which must not find this one still "running".
                    running = null;
                    lock.notifyAll();
                    more = !pending.isEmpty();
                }
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
        } catch (ProtocolException e) {
            Exit.protocolError(e.getMessage());
        } catch (Throwable e) { // a bug in the stub: no frame can be trusted after it
            Exit.protocolError("internal error of the worker stub's call thread: " + e);
        }
        Exit.shutdown();
    }

    /**
     * The next call to run, read from stdin if none has been read ahead; null once SHUTDOWN has
     * been received and every call answered. At the end of stdin without SHUTDOWN the supervisor
     * is gone: the worker halts.
     */
    private Call next() throws ProtocolException {
        while (true) {
            synchronized (lock) {
                Call call = pending.pollFirst();
                if (call != null) {
                    running = call;
                    if (call.cancellation().isCancelled()) {
                        Thread.currentThread().interrupt();
                    }
                    return call;
                }
                if (shutdownRequested) {
                    return null;
                }
            }
            if (inputEnded) {
                Exit.supervisorGone("stdin closed: the supervisor is gone", this);
            }
            accept(read());
        }
    }

    /**
     * Reads every frame that has already arrived, without waiting for more (a frame begun is read
     * to its end: the supervisor writes each frame at once).
     */
    private void readArrived() throws ProtocolException {
        try {
            while (!inputEnded && input.hasArrived()) {
                accept(read());
            }
        } catch (IOException e) {
            if (e instanceof ProtocolException p) {
                throw p;
            }
            inputEnded = true; // said at the next read, once the answer is out
        }
    }

    /** The next frame on stdin; null at its end, which is noted. */
    private Frame read() throws ProtocolException {
        try {
            Frame frame = in.read();
            if (frame == null) {
                inputEnded = true;
            }
            return frame;
        } catch (ProtocolException e) {
            throw e;
        } catch (IOException e) {
            Exit.supervisorGone("cannot read stdin: " + e.getMessage(), this);
            throw new AssertionError("unreachable: the worker has halted");
        }
    }

    /** A frame read from stdin: a CALL to hold, or SHUTDOWN (CANCEL comes on the control channel). */
    private void accept(Frame frame) throws ProtocolException {
        if (frame == null) {
            return;
        }
        switch (frame.type()) {
            case CALL -> submit(frame.callId(), frame.payload());
            case SHUTDOWN -> {
                synchronized (lock) {
                    shutdownRequested = true;
                    lock.notifyAll();
                }
            }
            default -> throw new ProtocolException("unexpected " + frame + " from the supervisor");
        }
    }

    /**
     * Holds a call read from stdin until its turn.
     *
     * @throws ProtocolException if more calls are unanswered than the pipeline allows, or
     *     SHUTDOWN has been received
     */
    private void submit(long callId, byte[] input) throws ProtocolException {
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
            Call call = new Call(callId, input);
            pending.addLast(call);
            if (cancelledAhead.remove(callId) != null) {
                try {
                    cancelBeforeStart(call);
                } catch (IOException e) {
                    Exit.supervisorGone("cannot write the STACK of call " + id + ": " + e.getMessage(), this);
                }
            }
        }
    }
}
