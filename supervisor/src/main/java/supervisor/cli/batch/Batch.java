package supervisor.cli.batch;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import supervisor.cli.report.Json;
import supervisor.cli.report.PoolReport;
import supervisor.cli.report.Report;
import supervisor.cli.service.Notifier;
import supervisor.log.Log;
import supervisor.log.Reasons;
import supervisor.platform.Signal;
import supervisor.pool.CallFuture;
import supervisor.pool.CallTimeoutException;
import supervisor.pool.PoolClosedException;
import supervisor.pool.PoolStats;
import supervisor.pool.ProtocolErrorException;
import supervisor.pool.TaskFailedException;
import supervisor.pool.WorkerCrashedException;
import supervisor.pool.WorkerPool;
import supervisor.pool.WorkerStartException;
import supervisor.worker.protocol.StackPayload;

/**
 * {@code supervisor pool}: one call per input line through a worker pool, one JSON line per
 * input line, in input order.
 *
 * <p>Three threads and one loop. The reader reads the input in chunks of 64 KiB and submits one
 * call per line; the writer writes the answers in input order, and flushes whenever the next
 * answer is not ready yet, so that a client that waits for an answer before it writes its next
 * line gets it. The main thread only takes {@link Event}s (a signal, the end of the reader or of
 * the writer, a failed output, an Error on any thread) and decides, as {@code RunSession} does:
 * it never blocks on the input, so a signal ends the command whatever the input does.
 *
 * <p>What is held, whatever the input: the line being read, never more than the largest input a
 * frame can carry ({@code --max-frame} minus 9 bytes; the rest of a longer line is skipped and the
 * line answered {@code protocol}); at most {@link #window} lines in flight; and inputs plus results
 * waiting for an earlier line, at most {@link #BUDGET_BYTES} (or one line, if it is bigger) plus
 * what the calls already running return. Results are escaped to the output as they are, never
 * copied into a String.
 */
public final class Batch {
    /** Input and result bytes held for lines not yet written, beyond which the reader waits. */
    static final long BUDGET_BYTES = 16L << 20;
    /** How long after a signal or a failed output the workers have to stop, beyond the grace. */
    private static final Duration STOP_SLACK = Duration.ofMillis(800);
    /** How long a stopped batch waits for its writer once the pool is closed. */
    private static final Duration WRITER_SLACK = Duration.ofMillis(300);
    /** The writer waits in the open of the output (a FIFO opened for writing waits for a reader). */
    private volatile boolean writerOpening;
    private static final int CHUNK = 1 << 16;
    private static final long END = -1;

    /** What the main loop reacts to. Handlers and threads only post these. */
    private sealed interface Event {
        record Signalled(int signal) implements Event { }
        record ReaderEnded(IOException failure) implements Event { }
        record WriterEnded(IOException failure) implements Event { }
        record PoolClosed() implements Event { }
        record Fatal(String thread, Throwable error) implements Event { }
    }

    /**
     * One input line in flight: its call, or none when the line was too long for a frame
     * ({@code length} then says how long it was).
     */
    private record Entry(long line, CallFuture future, long submittedAt, long length) {
    }

    /** The outcomes, as written in "status". */
    enum Status {
        OK, FAILED, TIMEOUT, CRASHED, PROTOCOL,
        /** The call did not run: the pool is down (its workers stopped starting). */
        UNAVAILABLE;

        String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final BatchOptions options;
    private final int window;
    private final long maxInputBytes;
    private final BlockingQueue<Entry> inOrder;
    private final Semaphore room;
    private final Budget budget = new Budget();
    private final Counts counts = new Counts();
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile int interruptedBy;
    private volatile WorkerPool pool;
    private volatile String outcome = PoolReport.COMPLETED; // for the report, with the status
    private volatile String error; // the line that said what failed, for the report
    private OutputStream openedOutput;

    public Batch(BatchOptions options) {
        this.options = options;
        this.window = Math.max(64, options.pool().workers() * 64);
        this.maxInputBytes = options.maxFrameBytes() - 9L; // a CALL frame: 9 bytes of header
        this.inOrder = new ArrayBlockingQueue<>(window + 1);
        this.room = new Semaphore(window);
    }

    /** Where worker stderr lines go: stderr, one write each, never inside the progress line. */
    public static Consumer<String> workerOutput() {
        return Progress::stderrLine;
    }

    /** The user interrupted (called from the signal handler): only posts the event. */
    public void interrupt(int signal) {
        events.add(new Event.Signalled(signal));
        firstSignal.compareAndSet(0, signal);
        Thread t = starting;
        if (t != null) {
            t.interrupt(); // WorkerPool.start waits for the workers; a signal ends that wait at once
        }
    }

    /** The reader is in a read of the input (which a signal cannot end: the exit leaves it). */
    private volatile boolean readerInRead;
    /** At the signal, the reader waited for input and every line read was answered. */
    private boolean waitedForInput;
    /** A line already named the signal (the output was stuck). */
    private boolean signalSaid;
    private final AtomicLong linesRead = new AtomicLong();
    private volatile Thread starting; // the thread in WorkerPool.start, while it waits for the workers
    private final AtomicInteger firstSignal = new AtomicInteger();

    /**
     * Runs the whole batch; returns the exit status: 0 all ok, 1 some call not ok or the input or
     * output failed (the message says which), 128+N for signal N, 125 for an Error on any thread.
     */
    public int run() {
        long started = System.nanoTime();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> events.add(new Event.Fatal(t.getName(), e)));
        if (options.output() != null && (!Files.exists(options.output()) || isRegularFile(options.output()))) {
            // Opened here, before any worker starts, so that an output that cannot be opened
            // costs nothing. A FIFO is opened by the writer: opening it waits for a reader.
            try {
                openedOutput = new FileOutputStream(options.output().toFile());
            } catch (IOException e) {
                failed(Report.USAGE, "--output: cannot write " + options.output() + ": " + e.getMessage());
                return 2; // nothing ran
            }
        }
        Progress progress = Progress.forStderr(counts, started);
        countLinesForProgress(progress);
        starting = Thread.currentThread();
        try {
            pool = WorkerPool.start(options.pool());
        } catch (WorkerStartException e) {
            Thread.interrupted();
            if (firstSignal.get() != 0) {
                outcome = PoolReport.SIGNAL;
                return 128 + firstSignal.get(); // stopped while the workers started: nothing ran
            }
            failed(Report.START_FAILED, "cannot start the workers: " + e.getMessage());
            // A worker that ran and ended before it was ready: its jar (its task, its JVM
            // options) cannot be used, as 126 says; java that cannot start is the supervisor's.
            return e.workerRan() ? 126 : 125;
        } finally {
            starting = null;
        }
        if (firstSignal.get() != 0) {
            pool.shutdownNow();
            outcome = PoolReport.SIGNAL;
            return 128 + firstSignal.get();
        }
        notifyWhenReady();
        Thread writer = daemon("supervisor-batch-writer", () -> write());
        Thread reader = daemon("supervisor-batch-reader", this::read);
        writer.start();
        reader.start();
        int status = loop(reader, writer);
        progress.finish();
        String summary = counts.summary(System.nanoTime() - started);
        if (interruptedBy != 0 && !signalSaid) {
            // As run says what stopped it, and as the stuck output's line does.
            summary = "got " + Signal.name(interruptedBy) + (waitedForInput ? " while waiting for input" : "") + "; " + summary;
        }
        Log.info(summary);
        return status;
    }

    private static boolean isRegularFile(Path p) {
        return p != null && Files.isRegularFile(p);
    }

    /** The main loop: decides on each event; every wait after a stop has a deadline. */
    private int loop(Thread reader, Thread writer) {
        boolean writerEnded = false;
        boolean poolClosed = false;
        IOException inputFailure = null;
        IOException outputFailure = null;
        long stopBy = Long.MAX_VALUE; // set once we stop early: signal or failed output
        // Once stopped by a signal, the answers ready are written within this; a writer still
        // blocked then (a FIFO nobody opens, a reader that stopped reading) is left behind.
        long writerBy = Long.MAX_VALUE;
        while (!(writerEnded && poolClosed)) {
            Event event;
            try {
                long until = poolClosed ? Math.min(stopBy, writerBy) : stopBy;
                long left = until - System.nanoTime();
                event = until == Long.MAX_VALUE ? events.take() : events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                outcome = Report.ERROR;
                error = "interrupted";
                return 125;
            }
            if (event == null) {
                if (!poolClosed) {
                    Log.error("the workers did not stop within the grace plus " + STOP_SLACK.toMillis()
                            + " ms; exiting all the same");
                } else {
                    Log.error(outputStuck(interruptedBy));
                    signalSaid = true;
                }
                break;
            }
            if (event instanceof Event.Signalled s) {
                if (interruptedBy == 0 && !writerEnded) {
                    waitedForInput = readerInRead && linesRead.get() == counts.done();
                    interruptedBy = s.signal();
                    stopBy = stopDeadline();
                    writerBy = System.nanoTime() + WRITER_SLACK.toNanos();
                    reader.interrupt();
                    writer.interrupt(); // writes what is answered, then ends
                    closePool();
                } else if (interruptedBy == 0) {
                    // Every line is written; the pool is closing already.
                    interruptedBy = s.signal();
                    stopBy = Math.min(stopBy, stopDeadline());
                }
            } else if (event instanceof Event.ReaderEnded r) {
                if (r.failure() != null && interruptedBy == 0) {
                    inputFailure = r.failure();
                    failed(PoolReport.IO_ERROR, "cannot read the input" + (options.input() == null ? "" : " " + options.input())
                            + ": " + r.failure().getMessage() + "; the lines read before are answered");
                }
            } else if (event instanceof Event.WriterEnded w) {
                writerEnded = true;
                if (w.failure() != null) {
                    outputFailure = w.failure();
                    failed(PoolReport.IO_ERROR, "cannot write the output " + (options.output() == null ? "(stdout)" : options.output())
                            + ": " + w.failure().getMessage() + "; " + counts.done()
                            + (counts.done() == 1 ? " line was" : " lines were") + " written, the rest is not answered");
                    stopBy = Math.min(stopBy, stopDeadline());
                    reader.interrupt();
                }
                closePool();
            } else if (event instanceof Event.PoolClosed) {
                poolClosed = true;
            } else if (event instanceof Event.Fatal f) {
                failed(Report.ERROR, "internal error in thread " + f.thread() + ": " + f.error()
                        + "; the output is incomplete");
                closePool();
                awaitPoolClosed(stopDeadline());
                return 125;
            }
        }
        if (outputFailure != null || inputFailure != null) {
            return 1;
        }
        if (interruptedBy != 0) {
            outcome = PoolReport.SIGNAL;
            return 128 + interruptedBy;
        }
        return counts.allOk() ? 0 : 1;
    }

    /** Says what failed, and keeps it for the report; the first failure is the outcome. */
    private void failed(String outcome, String message) {
        Log.error(message);
        if (error == null) {
            this.outcome = outcome;
            this.error = message;
        }
    }

    /**
     * What the run did, for its report: the calls by status (lines written), the workers and
     * their restarts, the outcome that goes with {@code status} (what {@link #run()} returned), and
     * what failed.
     */
    public void report(PoolReport report, int status) {
        report.pool(options.pool().workerJar().toString(), options.pool().workers());
        Map<String, Long> byStatus = new LinkedHashMap<>();
        for (Status s : Status.values()) {
            byStatus.put(s.json(), counts.get(s));
        }
        report.calls(byStatus);
        WorkerPool p = pool;
        if (p != null) {
            PoolStats stats = p.stats();
            report.workers(stats.workerStarts(), stats.workerRestarts(), p.restartsByWorker().stream()
                    .map(w -> new PoolReport.Worker(w.worker(), w.restarts(), w.reasons())).toList());
        }
        if (error != null) {
            report.error(error);
        }
        report.end(outcome, status);
    }

    /** Why the writer did not end after a stop: it waits for a reader of the output, or in a write. */
    private String outputStuck(int signal) {
        String output = options.output() == null ? "stdout" : "the output " + options.output();
        String why = writerOpening ? "while waiting for a reader of " + output
                : "while " + output + " was not read (a write waits for its reader)";
        return "got " + Signal.name(signal) + " " + why + "; " + counts.done()
                + (counts.done() == 1 ? " line was" : " lines were") + " written, the rest is not";
    }

    private long stopDeadline() {
        return System.nanoTime() + options.pool().grace().toNanos() + STOP_SLACK.toNanos();
    }

    private boolean closing;

    /**
     * Closes the pool, once, on a thread of its own that posts PoolClosed. Always at once: it is
     * called when every line is answered, or on a stop, where calls in flight are cancelled.
     * (Never two closes at a time: each would release the pool's guardian pin.)
     */
    private void closePool() {
        if (closing) {
            return;
        }
        closing = true;
        WorkerPool p = pool;
        daemon("supervisor-batch-close", () -> {
            p.shutdownNow();
            events.add(new Event.PoolClosed());
        }).start();
    }

    /** After an Error: waits for the pool to close, until the deadline, taking no other event. */
    private void awaitPoolClosed(long deadline) {
        try {
            for (Event e; (e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) != null; ) {
                if (e instanceof Event.PoolClosed) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Under systemd (NOTIFY_SOCKET), READY=1 once the first worker has loaded its task and said
     * READY; the status line then follows the counts.
     */
    private void notifyWhenReady() {
        Notifier notifier = Notifier.fromEnvironment(System.getenv());
        if (!notifier.enabled()) {
            return;
        }
        Thread t = daemon("supervisor-batch-notify", () -> {
            try {
                while (pool.readyWorkers() == 0 && interruptedBy == 0) {
                    Thread.sleep(20);
                }
                notifier.ready("pool of " + options.pool().workers() + " workers running "
                        + options.pool().workerJar().getFileName());
                while (interruptedBy == 0) {
                    Thread.sleep(1000);
                    notifier.status(counts.done() + " calls done, " + counts.notOk() + " not ok");
                }
                notifier.stopping("interrupted: cancelling the calls in flight");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
    }

    // ---- the reader ------------------------------------------------------------------------

    /**
     * Reads lines in chunks and submits one call per line of this shard. Lines of other shards
     * are skipped as they stream by; a line longer than a frame can carry is dropped as soon as
     * it gets too long, and answered {@code protocol}. Ends by queueing END and posting
     * ReaderEnded. Interrupted by a signal; a read from stdin that blocks is left to the exit.
     */
    private void read() {
        IOException failure = null;
        // FileInputStream, not Files.newInputStream: the latter's available() seeks, which a
        // pipe, a FIFO, /dev/stdin or <(...) refuses ("Illegal seek").
        try (InputStream in = options.input() == null ? new FileInputStream(FileDescriptor.in)
                : new FileInputStream(options.input().toFile())) {
            LineBuffer line = new LineBuffer(maxInputBytes);
            byte[] buf = new byte[CHUNK];
            long index = 0;
            int n;
            while (!Thread.currentThread().isInterrupted() && (n = readChunk(in, buf)) >= 0) {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        line.append(buf, from, i - from, inShard(index));
                        submit(index++, line);
                        from = i + 1;
                    }
                }
                line.append(buf, from, n - from, inShard(index));
            }
            if (line.length() > 0 && !Thread.currentThread().isInterrupted()) {
                submit(index, line); // a last line without its newline is still a line
            }
        } catch (IOException e) {
            failure = e;
        } catch (InterruptedException e) {
            // a signal: stop reading
        } catch (Throwable t) {
            events.add(new Event.Fatal(Thread.currentThread().getName(), t));
            return;
        } finally {
            // Always fits: the window's semaphore keeps the queue one place short of full.
            inOrder.offer(new Entry(END, null, 0, 0));
        }
        events.add(new Event.ReaderEnded(failure));
    }

    private int readChunk(InputStream in, byte[] buf) throws IOException {
        readerInRead = true;
        try {
            return in.read(buf);
        } finally {
            readerInRead = false;
        }
    }

    private boolean inShard(long index) {
        return index % options.shardCount() == options.shardIndex();
    }

    private void submit(long index, LineBuffer line) throws InterruptedException {
        if (!inShard(index)) {
            line.reset();
            return;
        }
        room.acquire();
        linesRead.incrementAndGet();
        long length = line.length();
        if (line.tooLong()) {
            line.reset();
            inOrder.put(new Entry(index + 1, null, System.nanoTime(), length));
            return;
        }
        budget.acquire(length);
        byte[] input = line.take();
        long now = System.nanoTime();
        CallFuture f;
        try {
            f = pool.submit(input);
        } catch (IllegalArgumentException e) {
            budget.release(length);
            inOrder.put(new Entry(index + 1, null, now, length)); // too large for a frame after all
            return;
        }
        f.whenComplete((result, error) -> {
            if (result != null) {
                budget.add(result.length);
            }
        });
        inOrder.put(new Entry(index + 1, f, now, length));
    }

    /**
     * The line being read, in chunks of 64 KiB, never more than {@code limit} bytes: past it the
     * bytes are only counted. Lines of other shards are only counted too.
     */
    private static final class LineBuffer {
        private final long limit;
        private final ArrayList<byte[]> full = new ArrayList<>();
        private byte[] current = new byte[0];
        private int used;
        private long length;
        private boolean tooLong;

        LineBuffer(long limit) {
            this.limit = limit;
        }

        void append(byte[] b, int from, int n, boolean keep) {
            if (n == 0) {
                return;
            }
            length += n;
            if (!keep || tooLong) {
                return;
            }
            if (length > limit) {
                tooLong = true;
                full.clear();
                current = new byte[0];
                used = 0;
                return;
            }
            while (n > 0) {
                if (used == current.length) {
                    if (used > 0) {
                        full.add(current);
                    }
                    current = new byte[CHUNK];
                    used = 0;
                }
                int k = Math.min(n, current.length - used);
                System.arraycopy(b, from, current, used, k);
                used += k;
                from += k;
                n -= k;
            }
        }

        long length() {
            return length;
        }

        boolean tooLong() {
            return tooLong;
        }

        /** The line's bytes; resets. */
        byte[] take() {
            byte[] all = new byte[Math.toIntExact(length)];
            int at = 0;
            for (byte[] c : full) {
                System.arraycopy(c, 0, all, at, c.length);
                at += c.length;
            }
            System.arraycopy(current, 0, all, at, used);
            reset();
            return all;
        }

        void reset() {
            full.clear();
            if (current.length > CHUNK) {
                current = new byte[0];
            }
            used = 0;
            length = 0;
            tooLong = false;
        }
    }

    /**
     * Bytes held for lines not yet written: their inputs (taken by the reader, which waits when
     * the budget is spent) and their results (added as calls complete, never waiting: a pool
     * thread must not block). A line bigger than the whole budget goes alone.
     */
    private static final class Budget {
        private long held;

        synchronized void acquire(long n) throws InterruptedException {
            while (held > 0 && held + n > BUDGET_BYTES) {
                wait();
            }
            held += n;
        }

        synchronized void add(long n) {
            held += n;
        }

        synchronized void release(long n) {
            held -= n;
            notifyAll();
        }
    }

    // ---- the writer ------------------------------------------------------------------------

    /**
     * Writes the answers in input order and flushes whenever the next one is not ready, so an
     * answer never waits for later input. Counts a line only once it is flushed: the summary
     * never counts a line that did not reach the output. Interrupted by a signal: writes the
     * answers that are ready, in order, up to the first that is not, and ends.
     */
    private void write() {
        IOException failure = null;
        int[] pending = new int[Status.values().length];
        OutputStream raw = openedOutput;
        try {
            if (raw == null) {
                writerOpening = true;
                try {
                    raw = options.output() == null ? new FileOutputStream(FileDescriptor.out)
                            : new FileOutputStream(options.output().toFile());
                } finally {
                    writerOpening = false;
                }
            }
            try (OutputStream out = new BufferedOutputStream(raw, CHUNK)) {
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
                    if (e.line() == END) {
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
            if (interruptedBy != 0 && (cause instanceof PoolClosedException || cause instanceof CancellationException)) {
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

    /** How many frames of a timed-out call's stack its line carries: where it hung, not the whole way there. */
    static final int STACK_FRAMES = 8;

    private static void tail(Entry e, StringBuilder json) {
        long nanos = e.future().nanos();
        long ms = TimeUnit.NANOSECONDS.toMillis(nanos >= 0 ? nanos : System.nanoTime() - e.submittedAt());
        json.append(",\"attempts\":").append(e.future().attempts()).append(",\"ms\":").append(ms).append("}\n");
    }

    /** The JSON built so far; UTF-8, since escaped strings may hold any character. */
    private static void ascii(OutputStream out, StringBuilder json) throws IOException {
        out.write(json.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ---- progress ----------------------------------------------------------------------------

    /**
     * The total for the progress line, counted on a thread of its own and only for a regular
     * file, which can be read twice; a pipe or a FIFO is read once, by the reader.
     */
    private void countLinesForProgress(Progress progress) {
        if (!progress.shown() || !isRegularFile(options.input())) {
            return;
        }
        daemon("supervisor-batch-count", () -> {
            long lines = 0;
            long inShard = 0;
            boolean pending = false;
            try (InputStream in = new FileInputStream(options.input().toFile())) {
                byte[] buf = new byte[CHUNK];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            if (inShard(lines)) {
                                inShard++;
                            }
                            lines++;
                            pending = false;
                        } else {
                            pending = true;
                        }
                    }
                }
            } catch (IOException e) {
                return; // no total then; the reader reports what is wrong with the input
            }
            progress.total(pending && inShard(lines) ? inShard + 1 : inShard);
        }).start();
    }

    /** The outcome counters, for progress and the summary: lines written and flushed. */
    static final class Counts {
        private final AtomicLong[] by = new AtomicLong[Status.values().length];

        Counts() {
            for (int i = 0; i < by.length; i++) {
                by[i] = new AtomicLong();
            }
        }

        void add(int[] n) {
            for (int i = 0; i < n.length; i++) {
                if (n[i] != 0) {
                    by[i].addAndGet(n[i]);
                }
            }
        }

        long get(Status s) {
            return by[s.ordinal()].get();
        }

        long done() {
            long n = 0;
            for (AtomicLong a : by) {
                n += a.get();
            }
            return n;
        }

        long notOk() {
            return done() - get(Status.OK);
        }

        boolean allOk() {
            return notOk() == 0;
        }

        String summary(long nanos) {
            long done = done();
            StringBuilder b = new StringBuilder().append(done).append(done == 1 ? " call: " : " calls: ")
                    .append(get(Status.OK)).append(" ok");
            for (Status s : Status.values()) {
                if (s != Status.OK && get(s) > 0) {
                    b.append(", ").append(get(s)).append(' ').append(s.json());
                }
            }
            return b.append(String.format(Locale.ROOT, " in %.1fs", nanos / 1e9)).toString();
        }
    }
}
