package supervisor.cli.batch;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import supervisor.cli.report.PoolReport;
import supervisor.cli.report.Report;
import supervisor.cli.service.Notifier;
import supervisor.log.Log;
import supervisor.log.Words;
import supervisor.platform.Daemons;
import supervisor.platform.Signal;
import supervisor.pool.PoolStats;
import supervisor.pool.WorkerPool;
import supervisor.pool.WorkerStartException;

/**
 * {@code supervisor pool}: one call per input line through a worker pool, one JSON line per
 * input line, in input order.
 *
 * <p>Three threads and one loop. The {@link InputReader} reads the input in chunks of 64 KiB and
 * submits one call per line; the {@link ResultWriter} writes the answers in input order, and
 * flushes whenever the next answer is not ready yet, so that a client that waits for an answer
 * before it writes its next line gets it. The main thread, here, only takes {@link Event}s (a
 * signal, the end of the reader or of the writer, a failed output, an Error on any thread) and
 * decides, as {@code RunSession} does: it never blocks on the input, so a signal ends the command
 * whatever the input does.
 *
 * <p>What is held, whatever the input: the line being read, never more than the largest input a
 * frame can carry ({@code --max-frame} minus 9 bytes; the rest of a longer line is skipped and the
 * line answered {@code protocol}); at most {@link #window} lines in flight; and inputs plus results
 * waiting for an earlier line, at most {@link Budget#BYTES} (or one line, if it is bigger) plus
 * what the calls already running return. Results are escaped to the output as they are, never
 * copied into a String.
 */
public final class Batch {
    /** How long after a signal or a failed output the workers have to stop, beyond the grace. */
    private static final Duration STOP_SLACK = Duration.ofMillis(800);
    /** How long a stopped batch waits for its writer once the pool is closed. */
    private static final Duration WRITER_SLACK = Duration.ofMillis(300);

    private final BatchOptions options;
    private final int window;
    private final long maxInputBytes;
    /** The lines in flight, in input order: from the reader to the writer. */
    private final BlockingQueue<Entry> inOrder;
    /** The window: a permit per line in flight. */
    private final Semaphore room;
    private final Budget budget = new Budget();
    private final Counts counts = new Counts();
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AtomicInteger firstSignal = new AtomicInteger();
    private volatile Thread starting; // the thread in WorkerPool.start, while it waits for the workers
    private volatile int interruptedBy;
    private volatile WorkerPool pool;
    private volatile String outcome = PoolReport.COMPLETED; // for the report, with the status
    private volatile String error; // the line that said what failed, for the report
    private InputReader reader;
    private ResultWriter writer;
    /** At the signal, the reader waited for input and every line read was answered. */
    private boolean waitedForInput;
    /** A line already named the signal (the output was stuck). */
    private boolean signalSaid;
    private boolean closing;

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

    /**
     * Runs the whole batch; returns the exit status: 0 all ok, 1 some call not ok or the input or
     * output failed (the message says which), 128+N for signal N, 125 for an Error on any thread.
     */
    public int run() {
        long started = System.nanoTime();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> events.add(new Event.Fatal(t.getName(), e)));
        OutputStream opened = null;
        if (options.output() != null && (!Files.exists(options.output()) || Files.isRegularFile(options.output()))) {
            // Opened here, before any worker starts, so that an output that cannot be opened
            // costs nothing. A FIFO is opened by the writer: opening it waits for a reader.
            try {
                opened = new FileOutputStream(options.output().toFile());
            } catch (IOException e) {
                failed(Report.USAGE, "--output: cannot write " + options.output() + ": " + e.getMessage());
                return 2; // nothing ran
            }
        }
        Progress progress = Progress.forStderr(counts, started);
        InputReader.countLinesForProgress(options, progress);
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
        reader = new InputReader(options, pool, maxInputBytes, room, inOrder, budget, events);
        writer = new ResultWriter(options, opened, maxInputBytes, room, inOrder, budget, counts,
                () -> interruptedBy != 0, events);
        Thread writerThread = Daemons.unstarted(writer, "supervisor-batch-writer");
        Thread readerThread = Daemons.unstarted(reader, "supervisor-batch-reader");
        writerThread.start();
        readerThread.start();
        int status = loop(readerThread, writerThread);
        progress.finish();
        String summary = counts.summary(System.nanoTime() - started);
        if (interruptedBy != 0 && !signalSaid) {
            // As run says what stopped it, and as the stuck output's line does.
            summary = "got " + Signal.name(interruptedBy) + (waitedForInput ? " while waiting for input" : "") + "; " + summary;
        }
        Log.info(summary);
        return status;
    }

    /** The main loop: decides on each event; every wait after a stop has a deadline. */
    private int loop(Thread readerThread, Thread writerThread) {
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
                    waitedForInput = reader.inRead() && reader.linesRead() == counts.done();
                    interruptedBy = s.signal();
                    stopBy = stopDeadline();
                    writerBy = System.nanoTime() + WRITER_SLACK.toNanos();
                    readerThread.interrupt();
                    writerThread.interrupt(); // writes what is answered, then ends
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
                            + ": " + w.failure().getMessage() + "; " + Words.count(counts.done(), "line was", "lines were")
                            + " written, the rest is not answered");
                    stopBy = Math.min(stopBy, stopDeadline());
                    readerThread.interrupt();
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
        String why = writer.opening() ? "while waiting for a reader of " + output
                : "while " + output + " was not read (a write waits for its reader)";
        return "got " + Signal.name(signal) + " " + why + "; " + Words.count(counts.done(), "line was", "lines were")
                + " written, the rest is not";
    }

    private long stopDeadline() {
        return System.nanoTime() + options.pool().grace().toNanos() + STOP_SLACK.toNanos();
    }

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
        Daemons.start(() -> {
            p.shutdownNow();
            events.add(new Event.PoolClosed());
        }, "supervisor-batch-close");
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

    /**
     * Under systemd (NOTIFY_SOCKET), READY=1 once the first worker has loaded its task and said
     * READY; the status line then follows the counts.
     */
    private void notifyWhenReady() {
        Notifier notifier = Notifier.fromEnvironment(System.getenv());
        if (!notifier.enabled()) {
            return;
        }
        Daemons.start(() -> {
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
    }
}
