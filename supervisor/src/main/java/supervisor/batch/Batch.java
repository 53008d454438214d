package supervisor.batch;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import supervisor.log.Log;
import supervisor.pool.CallFuture;
import supervisor.pool.CallTimeoutException;
import supervisor.pool.PoolClosedException;
import supervisor.pool.ProtocolErrorException;
import supervisor.pool.TaskFailedException;
import supervisor.pool.WorkerCrashedException;
import supervisor.pool.WorkerPool;

/**
 * {@code supervisor pool}: one call per input line through a worker pool, one JSON line per
 * input line, in input order.
 *
 * <p>Memory is bounded by a window of lines in flight, not by the input: the reader blocks when
 * the window is full, and the writer, which writes answers in input order, frees a place in it
 * for each line it writes.
 */
public final class Batch {
    private static final long END = -1;

    private record Entry(long line, CallFuture future, long submittedAt) {
    }

    private final BatchOptions options;
    private final int window;
    private final BlockingQueue<Entry> inOrder;
    private final Semaphore room;
    private final Counts counts = new Counts();
    private volatile int interruptedBy;
    private volatile boolean failedOutput;
    private volatile WorkerPool pool;

    public Batch(BatchOptions options) {
        this.options = options;
        this.window = Math.max(64, options.pool().workers() * 64);
        this.inOrder = new ArrayBlockingQueue<>(window + 1);
        this.room = new Semaphore(window);
    }

    /** Where worker stderr lines go: stderr, one write each, never inside the progress line. */
    public static java.util.function.Consumer<String> workerOutput() {
        return Progress::stderrLine;
    }

    /** Runs the whole batch; returns the exit status. */
    public int run() throws IOException, InterruptedException {
        long started = System.nanoTime();
        long total = options.input() == null ? -1 : countShardLines();
        Progress progress = Progress.forStderr(total, counts, started);
        pool = WorkerPool.start(options.pool());
        notifyWhenReady();
        Thread writer = new Thread(() -> write(progress), "supervisor-batch-writer");
        writer.start();
        try (InputStream in = options.input() == null ? System.in
                : Files.newInputStream(options.input())) {
            read(new BufferedInputStream(in, 1 << 16));
        } finally {
            inOrder.put(new Entry(END, null, 0));
        }
        writer.join();
        pool.close();
        progress.finish();
        Log.info(counts.summary(System.nanoTime() - started));
        if (failedOutput) {
            return 1;
        }
        if (interruptedBy != 0) {
            return 128 + interruptedBy;
        }
        return counts.allOk() ? 0 : 1;
    }

    /**
     * Under systemd (NOTIFY_SOCKET), READY=1 once the first worker has loaded its task and said
     * READY; the status line then follows the counts.
     */
    private void notifyWhenReady() {
        supervisor.service.Notifier notifier = supervisor.service.Notifier.fromEnvironment(System.getenv());
        if (!notifier.enabled()) {
            return;
        }
        Thread t = new Thread(() -> {
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
        }, "supervisor-batch-notify");
        t.setDaemon(true);
        t.start();
    }

    /** The user interrupted: stop reading, cancel calls in flight, write what was answered. */
    public void interrupt(int signal) {
        if (interruptedBy != 0) {
            return;
        }
        interruptedBy = signal;
        WorkerPool p = pool;
        if (p != null) {
            Thread t = new Thread(p::shutdownNow, "supervisor-batch-interrupt");
            t.setDaemon(true);
            t.start();
        }
    }

    private void read(InputStream in) throws IOException, InterruptedException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long index = 0;
        byte[] buf = new byte[1 << 16];
        int n;
        boolean pending = false;
        while (interruptedBy == 0 && (n = in.read(buf)) > 0) {
            int from = 0;
            for (int i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    line.write(buf, from, i - from);
                    submit(index++, line);
                    from = i + 1;
                    pending = false;
                    if (interruptedBy != 0) {
                        return;
                    }
                }
            }
            if (from < n) {
                line.write(buf, from, n - from);
                pending = true;
            }
        }
        if (pending && interruptedBy == 0) {
            submit(index, line); // a last line without its newline is still a line
        }
    }

    private void submit(long index, ByteArrayOutputStream line) throws InterruptedException {
        byte[] input = line.toByteArray();
        line.reset();
        if (index % options.shardCount() != options.shardIndex()) {
            return;
        }
        room.acquire();
        long now = System.nanoTime();
        CallFuture f;
        try {
            f = pool.submit(input);
        } catch (IllegalArgumentException e) {
            f = null; // too large for a frame: answered as a failure below
        }
        inOrder.put(new Entry(index + 1, f, now));
    }

    private void write(Progress progress) {
        OutputStream raw;
        try {
            raw = options.output() == null ? new FileOutputStream(java.io.FileDescriptor.out)
                    : new FileOutputStream(options.output().toFile());
        } catch (IOException e) {
            Log.error("cannot write " + options.output() + ": " + e.getMessage());
            failedOutput = true;
            interrupt(15);
            drain();
            return;
        }
        try (OutputStream out = new BufferedOutputStream(raw, 1 << 16)) {
            StringBuilder json = new StringBuilder(256);
            while (true) {
                Entry e = inOrder.take();
                if (e.line() == END) {
                    break;
                }
                json.setLength(0);
                if (e.future() != null && !e.future().isDone()) {
                    out.flush(); // about to wait: let what is answered reach the reader now
                }
                if (!answer(e, json)) {
                    // Cancelled by the interrupt: the lines from here on were never answered.
                    drain();
                    break;
                }
                json.append('\n');
                out.write(json.toString().getBytes(StandardCharsets.UTF_8));
                room.release();
                progress.tick();
            }
        } catch (IOException e) {
            Log.error("cannot write the output: " + e.getMessage());
            failedOutput = true;
            interrupt(15);
            drain();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lets the reader finish: takes every entry up to the end, freeing its place. */
    private void drain() {
        try {
            while (true) {
                Entry e = inOrder.take();
                room.release();
                if (e.line() == END) {
                    return;
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    /** Builds the JSON line of an answered call; false if the call was cancelled by an interrupt. */
    private boolean answer(Entry e, StringBuilder json) {
        json.append("{\"line\":").append(e.line()).append(",\"status\":");
        if (e.future() == null) {
            json.append("\"failed\",\"error\":");
            Json.string(json, "input line longer than the maximum frame");
            counts.failed.incrementAndGet();
            json.append(",\"attempts\":0,\"ms\":0}");
            return true;
        }
        byte[] result;
        try {
            result = e.future().join();
        } catch (CancellationException | CompletionException x) {
            Throwable cause = x instanceof CompletionException ? x.getCause() : x;
            if (interruptedBy != 0 && (cause instanceof PoolClosedException || cause instanceof CancellationException)) {
                return false;
            }
            AtomicInteger counter;
            if (cause instanceof TaskFailedException t) {
                counter = counts.failed;
                json.append("\"failed\",\"error\":");
                Json.string(json, t.remoteClass() + (t.remoteMessage() == null ? "" : ": " + t.remoteMessage()));
            } else if (cause instanceof CallTimeoutException) {
                counter = counts.timeout;
                json.append("\"timeout\"");
            } else if (cause instanceof WorkerCrashedException w) {
                counter = counts.crashed;
                json.append("\"crashed\",\"error\":");
                Json.string(json, w.getMessage());
            } else if (cause instanceof ProtocolErrorException p) {
                counter = counts.protocol;
                json.append("\"protocol\",\"error\":");
                Json.string(json, p.getMessage());
            } else {
                counter = counts.failed;
                json.append("\"failed\",\"error\":");
                Json.string(json, String.valueOf(cause));
            }
            counter.incrementAndGet();
            tail(e, json);
            return true;
        }
        counts.ok.incrementAndGet();
        json.append("\"ok\",");
        String text = Json.utf8OrNull(result);
        if (text != null) {
            json.append("\"output\":");
            Json.string(json, text);
        } else {
            json.append("\"output_base64\":\"").append(Base64.getEncoder().encodeToString(result)).append('"');
        }
        tail(e, json);
        return true;
    }

    private static void tail(Entry e, StringBuilder json) {
        long nanos = e.future().nanos();
        long ms = TimeUnit.NANOSECONDS.toMillis(nanos >= 0 ? nanos : System.nanoTime() - e.submittedAt());
        json.append(",\"attempts\":").append(e.future().attempts()).append(",\"ms\":").append(ms).append('}');
    }

    private long countShardLines() throws IOException {
        long lines = 0;
        long inShard = 0;
        boolean pending = false;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(options.input()), 1 << 16)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        if (lines % options.shardCount() == options.shardIndex()) {
                            inShard++;
                        }
                        lines++;
                        pending = false;
                    } else {
                        pending = true;
                    }
                }
            }
        }
        if (pending && lines % options.shardCount() == options.shardIndex()) {
            inShard++;
        }
        return inShard;
    }

    /** The outcome counters, for progress and the summary. */
    static final class Counts {
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger timeout = new AtomicInteger();
        final AtomicInteger crashed = new AtomicInteger();
        final AtomicInteger protocol = new AtomicInteger();

        int done() {
            return ok.get() + notOk();
        }

        int notOk() {
            return failed.get() + timeout.get() + crashed.get() + protocol.get();
        }

        boolean allOk() {
            return notOk() == 0;
        }

        String summary(long nanos) {
            StringBuilder b = new StringBuilder().append(done()).append(done() == 1 ? " call: " : " calls: ")
                    .append(ok.get()).append(" ok");
            append(b, failed.get(), "failed");
            append(b, timeout.get(), "timeout");
            append(b, crashed.get(), "crashed");
            append(b, protocol.get(), "protocol");
            return b.append(String.format(Locale.ROOT, " in %.1fs", nanos / 1e9)).toString();
        }

        private static void append(StringBuilder b, int n, String what) {
            if (n > 0) {
                b.append(", ").append(n).append(' ').append(what);
            }
        }
    }
}
