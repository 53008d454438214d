package supervisor.pool;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import supervisor.units.Bounds;
import supervisor.worker.WorkerCallable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.launch.JarCheck;
import supervisor.launch.LaunchException;
import supervisor.log.Log;
import supervisor.platform.Daemons;
import supervisor.process.SupervisedProcess;
import supervisor.worker.protocol.Frame;

/**
 * A pool of warm worker JVMs that answer calls: the way to call risky code (a native library that
 * hangs, crashes or leaks) from a healthy JVM. Each call runs in a worker of its own at the time;
 * a call that hangs is cancelled, then its worker killed with its whole process tree, and a
 * worker that dies is replaced while the other calls carry on.
 *
 * <p>Every submitted call completes exactly once: with its result, or with a
 * {@link CallTimeoutException} (at its timeout, once the worker has said where the call was, within
 * {@link #MAX_STACK_WAIT}), {@link WorkerCrashedException},
 * {@link TaskFailedException}, {@link ProtocolErrorException}, {@link WorkerStartException},
 * {@link SupervisorErrorException}, {@link PoolClosedException}, or a
 * {@link java.util.concurrent.CancellationException} when its caller cancelled it (at once).
 * {@link #stats()} counts each in exactly one outcome.
 *
 * <p>Observable without code: while open, the pool is an MBean ({@link WorkerPoolMXBean}, as
 * {@code supervisor:type=WorkerPool,name=NAME}), and each call is a JFR event
 * {@code supervisor.PoolCall} (outcome, duration, worker, attempts) in any flight recording.
 *
 * <p>Thread-safe. A call is sent to its worker by the thread that submits it when a worker is
 * free, else by the worker's reader as an answer frees a place; its answer completes it on that
 * reader, and a caller waiting in {@code get} or {@code join} is handed it directly. Per worker one
 * thread watches it (starts it, stops calls, replaces it), one reads its frames and one its
 * stderr; one timer thread serves every timeout and one more kills workers that stopped reading.
 * None of them blocks without a deadline or a wake-up by {@link #close}, and after {@code close}
 * none is left. No caller's code runs on them: futures are completed on the completion executor
 * ({@link PoolSettings.Builder#completionExecutor}). With {@link PoolSettings.Builder#pipeline} a
 * worker is sent several calls at a time.
 */
public final class WorkerPool implements AutoCloseable {
    /** How long {@link #close(Duration)} may take beyond its deadline and the grace, whatever the workers do. */
    public static final Duration CLOSE_SLACK = Duration.ofSeconds(15);
    /**
     * How long, at most, a timed-out or cancelled call waits for the stack of its worker's call
     * thread, which the worker sends in answer to the cancel: the smaller of this and the grace.
     * A timed-out call's future completes within that much of its timeout.
     */
    public static final Duration MAX_STACK_WAIT = Duration.ofMillis(500);
    /** For the names "pool-N" of pools given none. */
    private static final AtomicInteger POOLS = new AtomicInteger();

    final PoolSettings settings;
    final ScheduledThreadPoolExecutor timer;
    final CallQueue queue;
    final PoolCounters counters = new PoolCounters();
    final CallCompleter completer;
    final CodeCalls code = new CodeCalls(this);
    private final StartGovernor governor;
    private volatile String name;
    private volatile PoolMBean mbean; // null: not registered
    private final ExecutorService killer;
    private final ExecutorService ownCompletions; // null: the caller's executor
    private final List<Slot> slots = new CopyOnWriteArrayList<>(); // read by the MBean
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    /** Guards phase changes; slots wait on it for close. */
    private final Object lifecycle = new Object();
    private final Object closing = new Object();
    private volatile PoolPhase phase = PoolPhase.OPEN;
    /** One guardian for all the pool's workers, however often they are replaced. */
    private final AutoCloseable guardian; // pinned last in the constructor: nothing to release if it throws

    private WorkerPool(PoolSettings settings, String taskName) {
        this.settings = settings;
        this.queue = new CallQueue(settings.queueCapacity);
        this.governor = new StartGovernor(settings);
        this.timer = new ScheduledThreadPoolExecutor(1, Daemons.factory("supervisor-pool-timer"));
        this.timer.setRemoveOnCancelPolicy(true);
        this.killer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.NANOSECONDS, new LinkedBlockingQueue<>(),
                Daemons.factory("supervisor-pool-killer"));
        this.name = settings.name != null ? settings.name : "pool-" + POOLS.incrementAndGet();
        Executor executor;
        if (settings.completionExecutor != null) {
            this.ownCompletions = null;
            executor = settings.completionExecutor;
        } else {
            // Cached: a callback that blocks never holds another call's completion.
            this.ownCompletions = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
                    new SynchronousQueue<>(), Daemons.factory("supervisor-pool-" + name + "-completion"));
            executor = ownCompletions;
        }
        Completions completions = new Completions(executor);
        long stackWait = Math.min(settings.grace.toNanos(), MAX_STACK_WAIT.toNanos());
        this.completer = new CallCompleter(counters, completions, timer, stackWait, () -> name, taskName);
        this.timer.scheduleWithFixedDelay(completions::rescue, Completions.RESCUE_MILLIS, Completions.RESCUE_MILLIS,
                TimeUnit.MILLISECONDS);
        this.timer.scheduleWithFixedDelay(this::checkWrites, Worker.WRITE_CHECK_MILLIS, Worker.WRITE_CHECK_MILLIS,
                TimeUnit.MILLISECONDS);
        this.guardian = SupervisedProcess.pinGuardian();
    }


    /**
     * Registers the MBean; two pools of one JVM never share a name: the second of a given name
     * takes NAME-2. Called while the workers start: the first use of the platform MBean server in
     * a JVM costs 100-400 ms here (its classes and the JDK's own beans), which must not come
     * before the workers' start on the critical path.
     */
    private void registerMBean() {
        if (settings.jmx) {
            PoolMBean bean = PoolMBean.register(this, name);
            if (bean != null) {
                name = bean.name;
                mbean = bean;
            }
        }
    }

    /**
     * Starts a pool and returns once every worker has said READY.
     *
     * @throws IllegalArgumentException when the worker jar does not exist, cannot be read, or
     *     names no Task-Class in its manifest
     * @throws WorkerStartException as soon as a worker fails to start (a bad JVM option, a task
     *     class that cannot be found or instantiated, a static initialiser that exits, the start-up
     *     timeout), with the worker's own reason: how it ended and its last stderr lines; nothing
     *     of the pool is left then
     */
    public static WorkerPool start(PoolSettings settings) {
        String task = checkJar(settings);
        WorkerPool pool = new WorkerPool(settings, task);
        try {
            for (int i = 0; i < settings.workers; i++) {
                Slot slot = new Slot(pool, i);
                Thread t = Daemons.unstarted(slot, "supervisor-pool-w" + (i + 1));
                pool.slots.add(slot);
                pool.threads.add(t);
                t.start();
            }
            pool.registerMBean();
            pool.governor.awaitFirstStarts();
        } catch (RuntimeException | Error e) {
            pool.shutdownNow();
            throw e;
        }
        return pool;
    }

    /** The task class the workers will run: a -Dsupervisor.task.class option, else the jar's Task-Class. */
    private static String checkJar(PoolSettings settings) {
        String task = settings.taskClass;
        String property = "-D" + Worker.TASK_PROPERTY + "=";
        for (String option : settings.jvmOptions) {
            if (option.startsWith(property)) {
                task = option.substring(property.length()); // the last one wins, as in the JVM
            }
        }
        if (settings.workerJar != null) {
            try {
                String named = JarCheck.checkWorker(settings.workerJar, task == null);
                return task != null ? task : named;
            } catch (LaunchException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        return task;
    }

    /**
     * The pool's name: the one its settings gave, or {@code pool-N}; with {@code -2}, {@code -3}...
     * appended when another open pool of this JVM had registered its MBean under that name.
     */
    public String name() {
        return name;
    }

    /**
     * Runs {@code code} in a worker and returns its value: one line to call what might hang,
     * crash or leak, isolated. The pool must run the caller's code ({@link PoolSettings#forClassPath()}).
     * <pre>{@code
     * String text = pool.call(() -> LegacyPdf.extractText(bytes), Duration.ofSeconds(30));
     * }</pre>
     * The value must be serializable and acceptable to the pool's allow-list
     * ({@link PoolSettings.Builder#allowPackages}). The worker is reused for later calls, and
     * replaced after a crash, a timeout it did not stop at, or a limit.
     *
     * @param timeout how long the call may run in its worker; zero for none (as for
     *     {@link #submit(byte[], Duration)}: a {@link CallTimeoutException} with the worker's stack)
     * @return what {@code code} returned
     * @throws E what {@code code} threw, rebuilt with its class, message, stack and causes (or a
     *     {@link TaskFailedException} with them as text when its class is off the allow-list)
     * @throws PoolException when the call did not run to its end: {@link CallTimeoutException},
     *     {@link WorkerCrashedException} (a crash, a signal, a limit), {@link AnswerRefusedException},
     *     {@link PoolClosedException}...
     * @throws IllegalArgumentException when {@code code} captures what cannot be serialized, naming
     *     its type, or its class is one a worker cannot load
     * @throws java.util.concurrent.CancellationException when this thread was interrupted while
     *     it waited; the call is cancelled and the interrupt kept
     */
    public <T, E extends Exception> T call(WorkerCallable<T, E> code, Duration timeout) throws E {
        Bounds.atLeastZero(timeout, "a call's timeout"); // before anything is encoded
        Class<?> writer = code.getClass().getNestHost(); // a lambda's is the class that wrote it
        CallFuture future = this.code.send(code, writer, timeout);
        try {
            @SuppressWarnings("unchecked")
            T value = (T) this.code.await(future, CodeCalls.Expect.of(writer));
            return value;
        } catch (Throwable t) {
            throw CodeCalls.<RuntimeException>sneaky(t);
        }
    }

    /** {@link #call(WorkerCallable, Duration)} with the pool's {@link PoolSettings.Builder#callTimeout}. */
    public <T, E extends Exception> T call(WorkerCallable<T, E> code) throws E {
        return call(code, settings.callTimeout);
    }

    /**
     * Submits {@code code} to run in a worker, as {@link #call(WorkerCallable, Duration)} does,
     * without waiting. The stage completes with the code's value, or exceptionally with the
     * code's own exception or one of the pool's, not wrapped ({@code exceptionally},
     * {@code handle} and {@code whenComplete} on it see the exception itself; {@code join} wraps it
     * in a {@link java.util.concurrent.CompletionException}, {@code get} in an
     * {@link java.util.concurrent.ExecutionException}, as for any future). Only the pool
     * completes it: its {@code toCompletableFuture()} is itself, whose {@code complete} and the
     * like throw {@link UnsupportedOperationException}, and whose {@code cancel} cancels the call
     * (a cancel to its worker, then a kill after the grace if it goes on).
     */
    public <T, E extends Exception> CompletionStage<T> submit(WorkerCallable<T, E> code, Duration timeout) {
        Bounds.atLeastZero(timeout, "a call's timeout");
        Class<?> writer = code.getClass().getNestHost();
        return this.code.stage(this.code.send(code, writer, timeout), CodeCalls.Expect.of(writer));
    }

    /** {@link #submit(WorkerCallable, Duration)} with the pool's {@link PoolSettings.Builder#callTimeout}. */
    public <T, E extends Exception> CompletionStage<T> submit(WorkerCallable<T, E> code) {
        return submit(code, settings.callTimeout);
    }

    /**
     * An implementation of {@code api} each of whose methods runs in a worker, on an instance of
     * {@code implementation} that the worker makes once (with its constructor without arguments)
     * and keeps. The way to wrap a library that may hang or crash:
     * <pre>{@code
     * Codec codec = pool.proxy(Codec.class, NativeCodec.class);
     * byte[] packed = codec.compress(data);   // runs in a worker
     * }</pre>
     * A method's timeout is its {@link Timeout} annotation's, or its interface's, or the pool's.
     * A method throws what the implementation threw, or a {@link PoolException}, as
     * {@link #call(WorkerCallable, Duration)} does; the declared return and exception types are
     * allowed in answers. Arguments must be serializable. {@code equals}, {@code hashCode} and
     * {@code toString} are the proxy's own; default methods run in the caller. Safe to share
     * between threads: calls from several threads run in several workers at once.
     *
     * @throws IllegalArgumentException when {@code api} is not an interface, or
     *     {@code implementation} does not implement it or has no constructor without arguments
     */
    public <I> I proxy(Class<I> api, Class<? extends I> implementation) {
        return ProxyHandler.create(this, api, implementation);
    }

    /** Submits a call with the pool's default timeout. */
    public CallFuture submit(byte[] input) {
        return submit(input, settings.callTimeout);
    }

    /**
     * Submits a call. When every worker is busy it waits in the queue; when the queue is full,
     * this method blocks until there is room. A closed pool, or one that is down (its workers
     * cannot start: see {@link PoolSettings.Builder#restartIntensity}), returns a future that has
     * failed already.
     *
     * @param timeout how long each attempt may run on a worker, counted from its start there (time
     *     in the queue does not count: bound the whole wait with {@code get(timeout, unit)});
     *     zero for none. The future completes with {@link CallTimeoutException} then, once the
     *     worker has sent where the call was, within min(grace, {@link #MAX_STACK_WAIT}) in any case.
     * @throws IllegalArgumentException when the input does not fit in one protocol frame, or the
     *     timeout is negative or longer than 1000 days
     */
    public CallFuture submit(byte[] input, Duration timeout) {
        Bounds.atLeastZero(timeout, "a call's timeout");
        if (input.length > settings.maxFrameBytes - Frame.HEADER_LENGTH) {
            throw new IllegalArgumentException("input of " + input.length + " bytes exceeds the maximum frame of "
                    + settings.maxFrameBytes + " bytes");
        }
        Call call = new Call(this, ids.incrementAndGet(), input, timeout.toNanos());
        counters.submitted();
        if (refuse(call)) {
            return call.future;
        }
        try {
            queue.enter(call);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            call.future.cancel(false);
            return call.future;
        }
        if ((phase != PoolPhase.OPEN || governor.down()) && queue.remove(call)) {
            // closed while we waited for room
            queue.leave(call);
            refuse(call);
            return call.future;
        }
        feedWorkers();
        return call.future;
    }

    /**
     * Sends queued calls to ready workers with room, on this thread: idle workers first, then, when
     * the pool pipelines, those that run a call. Every thread that puts a call in the queue calls
     * this after it did; every worker that makes room or becomes ready feeds itself after it did,
     * so no call waits in the queue while a worker could take it.
     */
    void feedWorkers() {
        for (Slot s : slots) {
            if (queue.isEmpty()) {
                return;
            }
            if (s.idle()) {
                s.feed();
            }
        }
        if (settings.pipeline > 1) {
            for (Slot s : slots) {
                if (queue.isEmpty()) {
                    return;
                }
                s.feed();
            }
        }
    }

    /** Fails {@code call} if the pool takes no calls; true if it did. */
    private boolean refuse(Call call) {
        WorkerStartException down = governor.refusal();
        if (down != null) {
            counters.rejected();
            completer.refuse(call, down, Outcome.CRASHED);
            return true;
        }
        if (phase != PoolPhase.OPEN) {
            counters.rejected();
            completer.refuse(call, new PoolClosedException("the pool is closed"), Outcome.CANCELLED);
            return true;
        }
        return false;
    }

    /**
     * A snapshot of the counters. Every submitted call is counted in exactly one outcome once it
     * has completed: {@code submitted} equals the sum of the outcomes plus the calls not complete.
     */
    public PoolStats stats() {
        PoolCounters c = counters;
        double[] p = c.latencyPercentiles();
        StartBreaker breaker = governor.breaker();
        return new PoolStats(c.submittedCount(), c.count(Outcome.SUCCEEDED), c.count(Outcome.TASK_FAILED),
                c.count(Outcome.TIMED_OUT), c.count(Outcome.CRASHED), c.count(Outcome.PROTOCOL), c.count(Outcome.CANCELLED),
                c.retriedCount(), c.workerStarts(), c.workerRestarts(), queue.size(), p[0], p[1], p[2], p[3], state(),
                breaker.failedStarts(), breaker.killedStarts(), breaker.lastFailure(), breaker.nextProbeMillis());
    }

    /** {@code up}, {@code degraded} or {@code down}: see {@link PoolStats#state()}. */
    String state() {
        if (governor.down()) {
            return "down";
        }
        return governor.failing() || counters.readyWorkers() < settings.workers ? "degraded" : "up";
    }

    StartGovernor governor() {
        return governor;
    }

    /**
     * Per worker (each of the {@code workers} places of the pool, in order), how often it was
     * replaced and why. Valid during the pool's life and after {@link #close()}.
     */
    public List<WorkerRestarts> restartsByWorker() {
        return slots.stream().map(Slot::restarts).toList();
    }

    /** Workers that have said READY and not ended since. */
    public int readyWorkers() {
        return counters.readyWorkers();
    }

    /**
     * Stops accepting calls, lets the calls already submitted finish for up to 30 seconds, then
     * stops them and the workers. See {@link #close(Duration)} for the bound.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /** Closes at once: running calls are cancelled, queued ones fail, workers are stopped. */
    public void shutdownNow() {
        close(Duration.ZERO);
    }

    /**
     * Stops accepting calls; lets the calls already submitted (queued or running) finish until
     * {@code deadline} has passed; then fails the queued ones and the running ones with
     * {@link PoolClosedException} at once, cancels the running ones in their workers (a kill after
     * the grace) and stops every worker.
     *
     * <p>Returns within {@code deadline} + the grace + {@link #CLOSE_SLACK} whatever the workers do,
     * normally as soon as the last worker is gone; then this JVM has no thread, descriptor or child
     * process of the pool left. Idempotent; a concurrent call waits for the first.
     */
    public void close(Duration deadline) {
        // An interrupted caller (WorkerPool.start's, too) still gets a whole close: it skips the
        // drain, but the joins go on through interrupts, within their bounds, and the interrupt is
        // set again on return. Otherwise the workers, their threads, descriptors and private tmp,
        // and the guardian would stay until the JVM exits.
        boolean interrupted = Thread.interrupted();
        try {
            interrupted |= closeUninterruptibly(deadline, interrupted);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** True if this thread was interrupted meanwhile. */
    private boolean closeUninterruptibly(Duration deadline, boolean interrupted) {
        synchronized (closing) {
            if (phase == PoolPhase.FINISHED) {
                return false;
            }
            long start = System.nanoTime();
            setPhase(PoolPhase.DRAINING);
            if (!interrupted) {
                interrupted = joinSlots(start + deadline.toNanos());
            }
            setPhase(PoolPhase.ABANDONING);
            failQueued();
            slots.forEach(Slot::abandon);
            long stopped = System.nanoTime() + settings.grace.toNanos() + TimeUnit.SECONDS.toNanos(4);
            interrupted |= joinSlots(stopped);
            if (threads.stream().anyMatch(Thread::isAlive)) {
                // A slot still busy (a release that waits for a process): kill its worker from here.
                slots.forEach(Slot::killWorker);
                interrupted |= joinSlots(System.nanoTime() + TimeUnit.SECONDS.toNanos(8));
            }
            for (Thread t : threads) {
                if (t.isAlive()) {
                    Log.warn("pool thread " + t.getName() + " did not end in time; giving up on it");
                }
            }
            failQueued(); // a call a slot put back or retried while the pool closed
            slots.forEach(Slot::abandon);
            setPhase(PoolPhase.FINISHED);
            timer.shutdownNow();
            killer.shutdown();
            interrupted |= awaitTermination(timer);
            if (!killer.isTerminated()) {
                interrupted |= awaitTermination(killer);
                killer.shutdownNow();
            }
            // After the timer: a call that starts waiting for a stack from now on is refused a timer
            // and completes at once; those already waiting complete here.
            completer.noMoreStacks();
            if (ownCompletions != null) {
                ownCompletions.shutdown(); // its idle threads end now; a callback still running ends when it returns
            }
            PoolMBean bean = mbean;
            if (bean != null) {
                bean.unregister();
            }
            try {
                guardian.close();
            } catch (Exception e) {
                // releasing a pin cannot fail
            }
            return interrupted;
        }
    }

    /** Waits up to 1 s for {@code e} to end, through interrupts; true if this thread was interrupted. */
    private static boolean awaitTermination(ExecutorService e) {
        boolean interrupted = false;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (true) {
            try {
                e.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                return interrupted;
            } catch (InterruptedException ex) {
                interrupted = true;
            }
        }
    }

    private void failQueued() {
        failQueued(new PoolClosedException("the pool was closed before the call ran"), Outcome.CANCELLED);
    }

    private void failQueued(Throwable why, Outcome outcome) {
        for (Call c; (c = queue.pollFirst()) != null; ) {
            queue.leave(c);
            completer.complete(c, null, why, outcome);
        }
    }

    private void setPhase(PoolPhase p) {
        synchronized (lifecycle) {
            if (!phase.atLeast(p)) {
                phase = p;
            }
            lifecycle.notifyAll();
        }
        governor.wake();
        slots.forEach(Slot::wake);
    }

    /** Joins the slots' threads until {@code end}, through interrupts; true if this thread was interrupted. */
    private boolean joinSlots(long end) {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive() && t != Thread.currentThread()) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return interrupted;
                }
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        return interrupted;
    }

    // ---- for the slots -------------------------------------------------------------------

    boolean abandoning() {
        return phase.atLeast(PoolPhase.ABANDONING);
    }

    /** True once the pool takes no more calls and none is left waiting. */
    boolean finished() {
        return abandoning() || (phase == PoolPhase.DRAINING && queue.isEmpty());
    }

    /** Waits until the slot may start a worker (see {@link StartBreaker#awaitTurn}); false when finished. */
    boolean awaitStartTurn() throws InterruptedException {
        return governor.awaitTurn(this::finished);
    }

    void awaitFinishedOrTimeout(long millis) throws InterruptedException {
        synchronized (lifecycle) {
            if (!finished()) {
                lifecycle.wait(millis);
            }
        }
    }

    /** A call to run again (a retry), first in line. */
    void putBack(Call call) {
        queue.putFirst(call);
        if (abandoning() && queue.remove(call)) {
            queue.leave(call);
            completer.complete(call, null, new PoolClosedException("the pool was closed before the call ran"),
                    Outcome.CANCELLED);
            return;
        }
        feedWorkers();
    }

    /**
     * A call sent to a worker that ended before it started there (it waited behind another, or
     * its CALL was not written): first in line again, not counted as an attempt. It takes no room
     * in the queue: it left its room when it was sent, and must not fail now for want of it.
     */
    void putBackUnstarted(Call call) {
        synchronized (call) {
            call.attempts--;
        }
        call.workerId = "";
        call.workerPid = 0;
        putBack(call);
    }

    /** The timer's: a worker that has not taken a frame within the write deadline is killed (see {@link Worker#send}). */
    private void checkWrites() {
        long now = System.nanoTime();
        for (Slot s : slots) {
            s.checkWrite(now);
        }
    }

    /** Calls sent to a worker and not answered now. */
    int inFlight() {
        int n = 0;
        for (Slot s : slots) {
            n += s.inFlight();
        }
        return n;
    }

    void startSucceeded(String worker) {
        governor.succeeded(worker);
    }

    /**
     * A worker failed to start (see {@link StartGovernor#failed}); if the pool went down, the
     * calls waiting fail with the reason.
     *
     * @return how many starts failed in a row, for the back-off while the pool is not down
     */
    int startFailed(boolean first, WorkerStartException why, boolean killedFromOutside) {
        int inARow = governor.failed(first, why, killedFromOutside, phase);
        if (inARow >= 0) {
            return inARow;
        }
        WorkerStartException down = governor.refusal();
        failQueued(down == null ? why : down, Outcome.CRASHED);
        return 1;
    }

    /**
     * Tries the call again, first in line, if the pool allows retries, it has some left, and the
     * queue has room for it (a retry counts against the capacity like any waiting call).
     */
    void retryOrFail(Call call, PoolException why, Outcome outcome) {
        int attempts;
        synchronized (call) {
            attempts = call.attempts;
        }
        if (attempts <= settings.retries && !call.claimed() && !abandoning() && !governor.down() && queue.tryRoom(call)) {
            counters.retried();
            putBack(call);
            return;
        }
        completer.complete(call, null, why, outcome);
    }

    /** Kills a worker off the calling thread (the timer's), which must not block on a kill. */
    void killLater(Worker w, String why) {
        try {
            killer.execute(() -> {
                Log.warn("worker " + w.id + ": " + why + "; killing it");
                w.kill(why);
            });
        } catch (RejectedExecutionException e) {
            w.kill(why); // closing: kill here
        }
    }

    /** The pids of the workers that are ready or busy now. For tests. */
    List<Integer> readyWorkerPids() {
        List<Integer> pids = new ArrayList<>();
        for (Slot s : slots) {
            int pid = s.readyWorkerPid();
            if (pid > 0) {
                pids.add(pid);
            }
        }
        return pids;
    }
}
