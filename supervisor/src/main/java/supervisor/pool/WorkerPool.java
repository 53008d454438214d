package supervisor.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.log.Log;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.terminate.OwnedChildren;

/**
 * A pool of warm worker JVMs that answer calls: the way to call risky code (a native library that
 * hangs, crashes or leaks) from a healthy JVM. Each call runs in a worker of its own at the time;
 * a call that hangs is cancelled, then its worker killed with its whole process tree, and a
 * worker that dies is replaced while the other calls carry on.
 *
 * <p>Every submitted call completes exactly once: with its result, or with a
 * {@link CallTimeoutException}, {@link WorkerCrashedException}, {@link TaskFailedException},
 * {@link ProtocolErrorException}, {@link PoolClosedException}, or a
 * {@link java.util.concurrent.CancellationException} when its caller cancelled it.
 *
 * <p>Thread-safe. One thread per worker feeds it (plus one reading its stderr), and one timer
 * thread serves every timeout.
 */
public final class WorkerPool implements AutoCloseable {
    final PoolSettings settings;
    final ScheduledThreadPoolExecutor timer;
    private final LinkedBlockingDeque<Call> queue = new LinkedBlockingDeque<>();
    private final Semaphore room;
    private final List<Slot> slots = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final Object lifecycle = new Object();
    private volatile int phase; // 0 open, 1 draining (closed to new calls), 2 abandoning, 3 finished

    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong[] outcomes = new AtomicLong[Outcome.values().length];
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong starts = new AtomicLong();
    private final AtomicLong restarts = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger ready = new java.util.concurrent.atomic.AtomicInteger();
    private final Latencies latencies = new Latencies();
    /** One guardian for all the pool's workers, however often they are replaced. */
    private final AutoCloseable guardian = supervisor.process.SupervisedProcess.pinGuardian();

    private WorkerPool(PoolSettings settings) {
        this.settings = settings;
        this.room = new Semaphore(settings.queueCapacity);
        for (int i = 0; i < outcomes.length; i++) {
            outcomes[i] = new AtomicLong();
        }
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "supervisor-pool-timer");
            t.setDaemon(true);
            return t;
        });
        this.timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * Starts a pool. Returns at once; workers start in the background, and calls wait for them.
     *
     * @throws IllegalArgumentException when the worker jar does not exist, cannot be read, or
     *     names no Task-Class in its manifest
     */
    public static WorkerPool start(PoolSettings settings) {
        checkJar(settings);
        WorkerPool pool = new WorkerPool(settings);
        for (int i = 0; i < settings.workers; i++) {
            Slot slot = new Slot(pool, i);
            Thread t = new Thread(slot, "supervisor-pool-w" + (i + 1));
            t.setDaemon(true);
            pool.slots.add(slot);
            pool.threads.add(t);
            t.start();
        }
        return pool;
    }

    private static void checkJar(PoolSettings settings) {
        try {
            supervisor.launch.JarCheck.checkWorker(settings.workerJar);
        } catch (supervisor.launch.LaunchException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Submits a call with the pool's default timeout. */
    public CallFuture submit(byte[] input) {
        return submit(input, settings.callTimeout);
    }

    /**
     * Submits a call. When every worker is busy it waits in the queue; when the queue is full,
     * this method blocks until there is room.
     *
     * @param timeout zero for none
     * @throws IllegalArgumentException when the input does not fit in one protocol frame
     */
    public CallFuture submit(byte[] input, Duration timeout) {
        if (input.length > settings.maxFrameBytes - 9) {
            throw new IllegalArgumentException("input of " + input.length + " bytes exceeds the maximum frame of "
                    + settings.maxFrameBytes + " bytes");
        }
        Call call = new Call(ids.incrementAndGet(), input, timeout.toNanos());
        if (phase != 0) {
            call.future.fail(new PoolClosedException("the pool is closed"));
            return call.future;
        }
        try {
            room.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            call.future.cancel(false);
            return call.future;
        }
        submitted.incrementAndGet();
        queue.addLast(call);
        if (phase != 0 && queue.remove(call)) {
            // closed while we waited for room
            room.release();
            fail(call, new PoolClosedException("the pool is closed"), Outcome.CANCELLED);
        }
        return call.future;
    }

    public PoolStats stats() {
        double[] p = latencies.percentiles();
        return new PoolStats(submitted.get(), count(Outcome.SUCCEEDED), count(Outcome.TASK_FAILED),
                count(Outcome.TIMED_OUT), count(Outcome.CRASHED), count(Outcome.PROTOCOL), count(Outcome.CANCELLED),
                retried.get(), starts.get(), restarts.get(), queue.size(), p[0], p[1], p[2], p[3]);
    }

    /**
     * Stops accepting calls, lets the calls already submitted finish for up to 30 seconds, then
     * stops them and the workers. Returns once no worker process is left.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /**
     * Stops accepting calls; lets the calls already submitted (queued or running) finish until
     * {@code deadline} has passed; then fails the queued ones with {@link PoolClosedException},
     * cancels the running ones (a cancel, then a kill after the grace), and stops every worker.
     * Returns once no worker process is left.
     */
    public void close(Duration deadline) {
        synchronized (lifecycle) {
            if (phase == 0) {
                phase = 1;
            }
            lifecycle.notifyAll();
        }
        long end = System.nanoTime() + deadline.toNanos();
        for (Thread t : threads) {
            long left = end - System.nanoTime();
            if (left > 0) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        synchronized (lifecycle) {
            if (phase < 2) {
                phase = 2;
            }
            lifecycle.notifyAll();
        }
        for (Call c; (c = queue.pollFirst()) != null; ) {
            room.release();
            fail(c, new PoolClosedException("the pool was closed before the call ran"), Outcome.CANCELLED);
        }
        slots.forEach(Slot::abandon);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (lifecycle) {
            phase = 3;
            lifecycle.notifyAll();
        }
        timer.shutdownNow();
        try {
            guardian.close();
        } catch (Exception e) {
            // releasing a pin cannot fail
        }
    }

    /** Closes at once: running calls are cancelled, queued ones fail, workers are stopped. */
    public void shutdownNow() {
        close(Duration.ZERO);
    }

    // ---- for the slots -------------------------------------------------------------------

    boolean draining() {
        return phase >= 1;
    }

    boolean abandoning() {
        return phase >= 2;
    }

    /** True once the pool takes no more calls and none is left waiting. */
    boolean finished() {
        return phase >= 2 || (phase == 1 && queue.isEmpty());
    }

    void awaitFinishedOrTimeout(long millis) throws InterruptedException {
        synchronized (lifecycle) {
            if (!finished()) {
                lifecycle.wait(millis);
            }
        }
    }

    /** The next call, waiting up to {@code millis}; null if none came. */
    Call pollCall(long millis) throws InterruptedException {
        Call c = millis == 0 ? queue.pollFirst() : queue.pollFirst(millis, TimeUnit.MILLISECONDS);
        if (c != null) {
            room.release();
        }
        return c;
    }

    /** Workers that have said READY and not ended since. */
    public int readyWorkers() {
        return ready.get();
    }

    void workerReady(boolean up) {
        if (up) {
            ready.incrementAndGet();
        } else {
            ready.decrementAndGet();
        }
    }

    void workerStarted(boolean replacement) {
        starts.incrementAndGet();
        if (replacement) {
            restarts.incrementAndGet();
        }
    }

    void succeed(Call call, byte[] result) {
        call.completedAt = System.nanoTime();
        if (call.future.succeed(result)) {
            latencies.record(System.nanoTime() - call.submittedAt);
        }
        outcomes[Outcome.SUCCEEDED.ordinal()].incrementAndGet();
    }

    void fail(Call call, Throwable why, Outcome outcome) {
        call.completedAt = System.nanoTime();
        call.future.fail(why);
        outcomes[outcome.ordinal()].incrementAndGet();
    }

    /** Tries the call again (first in line) if the pool allows retries and it has some left. */
    void retryOrFail(Call call, PoolException why, Outcome outcome) {
        if (call.attempts <= settings.retries && !call.future.isDone() && !abandoning()) {
            retried.incrementAndGet();
            queue.addFirst(call);
            return;
        }
        fail(call, why, outcome);
    }

    private long count(Outcome o) {
        return outcomes[o.ordinal()].get();
    }
}
