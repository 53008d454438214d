package supervisor.cli.batch;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import supervisor.cli.report.Json;
import supervisor.log.Reasons;
import supervisor.pool.CallTimeoutException;
import supervisor.pool.PoolClosedException;
import supervisor.pool.ProtocolErrorException;
import supervisor.pool.TaskFailedException;
import supervisor.pool.WorkerCrashedException;
import supervisor.pool.WorkerStartException;
import supervisor.worker.protocol.StackPayload;

/**
 * The batch's writer: one JSON line per input line, in input order. Writes the answers as they
 * come and flushes whenever the next one is not ready, so an answer never waits for later input.
 * Counts a line only once it is flushed: the summary never counts a line that did not reach the
 * output. Interrupted by a signal: writes the answers that are ready, in order, up to the first
 * that is not, and ends. Results are escaped to the output as they are, never copied into a
 * String. Ends by posting {@link Event.WriterEnded}.
 */
final class ResultWriter implements Runnable {
    /** How many frames of a timed-out call's stack its line carries: where it hung, not the whole way there. */
    static final int STACK_FRAMES = 8;
    private static final int BUFFER = 1 << 16;

    private final BatchOptions options;
    private final OutputStream opened;
    private final long maxInputBytes;
    private final Semaphore room;
    private final BlockingQueue<Entry> inOrder;
    private final Budget budget;
    private final Counts counts;
    private final BooleanSupplier signalled;
    private final Queue<Event> events;
    /** In the open of the output (a FIFO opened for writing waits for a reader). */
    private volatile boolean opening;

    /**
     * @param opened the output, opened already; null to open {@code options.output()} (or stdout) here
     * @param signalled true once a signal stopped the batch: a call cancelled then is not answered
     */
    ResultWriter(BatchOptions options, OutputStream opened, long maxInputBytes, Semaphore room, BlockingQueue<Entry> inOrder,
            Budget budget, Counts counts, BooleanSupplier signalled, Queue<Event> events) {
        this.options = options;
        this.opened = opened;
        this.maxInputBytes = maxInputBytes;
        this.room = room;
        this.inOrder = inOrder;
        this.budget = budget;
        this.counts = counts;
        this.signalled = signalled;
        this.events = events;
    }

    /** The writer waits in the open of the output. */
    boolean opening() {
        return opening;
    }

    @Override
    public void run() {
        IOException failure = null;
        int[] pending = new int[Status.values().length];
        OutputStream raw = opened;
        try {
            if (raw == null) {
                opening = true;
                try {
                    raw = options.output() == null ? new FileOutputStream(FileDescriptor.out)
                            : new FileOutputStream(options.output().toFile());
                } finally {
                    opening = false;
                }
            }
            try (OutputStream out = new BufferedOutputStream(raw, BUFFER)) {
                boolean stopping = false;
                while (true) {
                    Entry e = inOrder.poll();
                    if (e == null) {
                        flush(out, pending);
                        if (stopping) {
                            break;
                        }
                        try {
                            e = inOrder.take();
                        } catch (InterruptedException ie) {
                            stopping = true;
                            continue;
                        }
                    }
                    if (e.isEnd()) {
                        break;
                    }
                    if (e.future() != null && !e.future().isDone()) {
                        flush(out, pending); // about to wait: what is answered goes out now
                        if (stopping) {
                            break;
                        }
                        try {
                            e.future().get();
                        } catch (InterruptedException ie) {
                            stopping = true;
                            if (!e.future().isDone()) {
                                break;
                            }
                        } catch (ExecutionException | CancellationException done) {
                            // answered below
                        }
                    }
                    stopping |= Thread.interrupted();
                    Status s = answer(e, out);
                    if (s == null) {
                        break; // cancelled by the stop: this line and the rest are not answered
                    }
                    pending[s.ordinal()]++;
                    room.release();
                }
                flush(out, pending);
            }
        } catch (IOException e) {
            failure = e;
        } catch (Throwable t) {
            // An Error here (an OutOfMemoryError, say) ends the command: nothing else would
            // write the lines, and the summary must not count them.
            events.add(new Event.Fatal(Thread.currentThread().getName(), t));
            return;
        }
        events.add(new Event.WriterEnded(failure));
    }

    private void flush(OutputStream out, int[] pending) throws IOException {
        out.flush();
        counts.add(pending);
        Arrays.fill(pending, 0);
    }

    /** Writes the JSON line of a completed call; null if it was cancelled by a stop. */
    private Status answer(Entry e, OutputStream out) throws IOException {
        StringBuilder head = new StringBuilder(256).append("{\"line\":").append(e.line()).append(",\"status\":");
        if (e.future() == null) {
            head.append("\"protocol\",\"error\":");
            Json.string(head, "the input line of " + e.length() + " bytes is longer than a frame can carry ("
                    + maxInputBytes + " bytes, --max-frame minus 9)");
            head.append(",\"input_bytes\":").append(e.length()).append(",\"max_input_bytes\":").append(maxInputBytes);
            head.append(",\"attempts\":0,\"ms\":0}\n");
            ascii(out, head);
            return Status.PROTOCOL;
        }
        byte[] result;
        try {
            result = e.future().join();
        } catch (CancellationException | CompletionException x) {
            Throwable cause = x instanceof CompletionException ? x.getCause() : x;
            if (signalled.getAsBoolean() && (cause instanceof PoolClosedException || cause instanceof CancellationException)) {
                return null;
            }
            Status s = failure(cause, head);
            tail(e, head);
            ascii(out, head);
            budget.release(e.length());
            return s;
        }
        head.append("\"ok\",");
        if (Json.isUtf8(result)) {
            head.append("\"output\":");
            ascii(out, head);
            Json.utf8String(out, result);
        } else {
            head.append("\"output_base64\":\"");
            ascii(out, head);
            try (OutputStream b64 = Base64.getEncoder().wrap(new FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                }

                @Override
                public void close() {
                    // the encoder's close writes the padding; the output stays open
                }
            })) {
                b64.write(result);
            }
            out.write('"');
        }
        head.setLength(0);
        tail(e, head);
        ascii(out, head);
        budget.release(e.length() + result.length);
        return Status.OK;
    }

    /**
     * The status and the failure's fields: "error" for people, and beside it what a program needs.
     */
    private Status failure(Throwable cause, StringBuilder json) {
        if (cause instanceof TaskFailedException t) {
            json.append("\"failed\",\"error\":");
            Json.string(json, t.remoteClass() + (t.remoteMessage() == null ? "" : ": " + t.remoteMessage()));
            return Status.FAILED;
        }
        if (cause instanceof CallTimeoutException t) {
            json.append("\"timeout\",\"error\":");
            Json.string(json, String.valueOf(t.getMessage()));
            // Every call of the batch has the pool's timeout.
            json.append(",\"timeout_ms\":").append(options.pool().callTimeout().toMillis());
            stack(t.workerStack(), json);
            return Status.TIMEOUT;
        }
        if (cause instanceof WorkerCrashedException w) {
            json.append("\"crashed\",\"error\":");
            Json.string(json, String.valueOf(w.getMessage()));
            if (w.exitStatus() >= 0) {
                json.append(",\"exit_status\":").append(w.exitStatus());
            }
            if (w.signal() > 0) {
                json.append(",\"signal\":").append(w.signal());
            }
            if (w.crashLog().isPresent()) {
                json.append(",\"hs_err\":");
                Json.string(json, w.crashLog().get().toString());
            }
            if (w.limitExceeded().isPresent()) {
                json.append(",\"limit\":");
                Json.string(json, w.limitExceeded().get());
            }
            return Status.CRASHED;
        }
        if (cause instanceof ProtocolErrorException p) {
            json.append("\"protocol\",\"error\":");
            Json.string(json, String.valueOf(p.getMessage()));
            return Status.PROTOCOL;
        }
        if (cause instanceof WorkerStartException w) {
            // The pool is down: the call never reached a worker. Its message says since when and why.
            json.append("\"unavailable\",\"error\":");
            Json.string(json, Reasons.reason(w));
            return Status.UNAVAILABLE;
        }
        json.append("\"failed\",\"error\":");
        Json.string(json, Reasons.reason(cause));
        return Status.FAILED;
    }

    /** The top frames of the worker's stack at the timeout, if it sent one: "stack":["at C.m(F.java:1)",...]. */
    private static void stack(StackTraceElement[] frames, StringBuilder json) {
        if (frames.length == 0) {
            return;
        }
        json.append(",\"stack\":[");
        for (int i = 0; i < Math.min(frames.length, STACK_FRAMES); i++) {
            if (i > 0) {
                json.append(',');
            }
            Json.string(json, StackPayload.line(frames[i]));
        }
        json.append(']');
    }

    private static void tail(Entry e, StringBuilder json) {
        long nanos = e.future().nanos();
        long ms = TimeUnit.NANOSECONDS.toMillis(nanos >= 0 ? nanos : System.nanoTime() - e.submittedAt());
        json.append(",\"attempts\":").append(e.future().attempts()).append(",\"ms\":").append(ms).append("}\n");
    }

    /** The JSON built so far; UTF-8, since escaped strings may hold any character. */
    private static void ascii(OutputStream out, StringBuilder json) throws IOException {
        out.write(json.toString().getBytes(StandardCharsets.UTF_8));
    }
}
