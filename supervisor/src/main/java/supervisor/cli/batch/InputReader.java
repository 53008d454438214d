package supervisor.cli.batch;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.platform.Daemons;
import supervisor.pool.CallFuture;
import supervisor.pool.WorkerPool;

/**
 * The batch's reader: reads the input in chunks and submits one call per line of this shard,
 * queueing the lines in input order for the {@link ResultWriter}. Lines of other shards are
 * skipped as they stream by; a line longer than a frame can carry is dropped as soon as it gets
 * too long, and answered {@code protocol}. Waits for room in the window and in the
 * {@link Budget}. Ends by queueing {@link Entry#END} and posting {@link Event.ReaderEnded}.
 * Interrupted by a signal; a read from stdin that blocks is left to the exit.
 */
final class InputReader implements Runnable {
    private final BatchOptions options;
    private final WorkerPool pool;
    private final long maxInputBytes;
    private final Semaphore room;
    private final BlockingQueue<Entry> inOrder;
    private final Budget budget;
    private final Queue<Event> events;
    private final AtomicLong linesRead = new AtomicLong();
    /** In a read of the input (which a signal cannot end: the exit leaves it). */
    private volatile boolean inRead;

    /**
     * @param room the window: one permit per line in flight, given back by the writer
     * @param inOrder the lines in input order, to the writer; one place more than {@code room} has permits
     */
    InputReader(BatchOptions options, WorkerPool pool, long maxInputBytes, Semaphore room, BlockingQueue<Entry> inOrder,
            Budget budget, Queue<Event> events) {
        this.options = options;
        this.pool = pool;
        this.maxInputBytes = maxInputBytes;
        this.room = room;
        this.inOrder = inOrder;
        this.budget = budget;
        this.events = events;
    }

    /** The reader waits in a read of the input. */
    boolean inRead() {
        return inRead;
    }

    /** The lines of this shard read (and queued) so far. */
    long linesRead() {
        return linesRead.get();
    }

    @Override
    public void run() {
        IOException failure = null;
        // FileInputStream, not Files.newInputStream: the latter's available() seeks, which a
        // pipe, a FIFO, /dev/stdin or <(...) refuses ("Illegal seek").
        try (InputStream in = options.input() == null ? new FileInputStream(FileDescriptor.in)
                : new FileInputStream(options.input().toFile())) {
            LineBuffer line = new LineBuffer(maxInputBytes);
            byte[] buf = new byte[LineBuffer.CHUNK];
            long index = 0;
            int n;
            while (!Thread.currentThread().isInterrupted() && (n = readChunk(in, buf)) >= 0) {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        line.append(buf, from, i - from, inShard(options, index));
                        submit(index++, line);
                        from = i + 1;
                    }
                }
                line.append(buf, from, n - from, inShard(options, index));
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
            inOrder.offer(Entry.end());
        }
        events.add(new Event.ReaderEnded(failure));
    }

    private int readChunk(InputStream in, byte[] buf) throws IOException {
        inRead = true;
        try {
            return in.read(buf);
        } finally {
            inRead = false;
        }
    }

    /** Line {@code index} (from 0) is this shard's. */
    private static boolean inShard(BatchOptions options, long index) {
        return index % options.shardCount() == options.shardIndex();
    }

    private void submit(long index, LineBuffer line) throws InterruptedException {
        if (!inShard(options, index)) {
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
     * The total for the progress line, counted on a thread of its own and only for a regular
     * file, which can be read twice; a pipe or a FIFO is read once, by the reader.
     */
    static void countLinesForProgress(BatchOptions options, Progress progress) {
        if (!progress.shown() || options.input() == null || !Files.isRegularFile(options.input())) {
            return;
        }
        Daemons.start(() -> {
            long lines = 0;
            long inShard = 0;
            boolean pending = false;
            try (InputStream in = new FileInputStream(options.input().toFile())) {
                byte[] buf = new byte[LineBuffer.CHUNK];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            if (inShard(options, lines)) {
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
            progress.total(pending && inShard(options, lines) ? inShard + 1 : inShard);
        }, "supervisor-batch-count");
    }
}
