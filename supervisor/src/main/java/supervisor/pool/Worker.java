package supervisor.pool;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import supervisor.launch.ExitStatus;
import supervisor.launch.LaunchException;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.platform.Daemons;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;
import supervisor.process.Ending;
import supervisor.process.Orphans;
import supervisor.process.ProcessSpec;
import supervisor.process.SupervisedProcess;
import supervisor.terminate.OwnedChildren;
import supervisor.worker.WorkerMain;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameReader;
import supervisor.worker.protocol.FrameType;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;
import supervisor.worker.protocol.ProtocolException;

/**
 * One worker JVM: its supervised process, its protocol streams, and its stderr.
 *
 * <p>No thread of the pool ever blocks on the worker's output: a reader thread of its own turns
 * the frames the worker sends into {@link Event}s (heartbeats are dropped), and its end, whatever
 * ended it (end of stream, a protocol error, an {@link OutOfMemoryError} while allocating a
 * payload), into one last {@link Ended}; the answer of the call in flight it also completes at
 * once ({@link Attempt#answerArrived}). The slot waits for events with a deadline. Writes go
 * through {@link #send}, which kills the worker should a write not finish within its deadline (a
 * worker that stopped reading its stdin), which makes the blocked write fail.
 */
final class Worker {
    private static final int STDERR_TAIL_LINES = 12;
    private static final int MAX_STDERR_LINE = 8192;
    /** Pending events: a worker flooding frames blocks its own reader, not the supervisor's heap. */
    private static final int EVENT_CAPACITY = 64;

    /** What the slot waits for. */
    sealed interface Event permits Received, Ended, Wake { }

    /** A frame other than a heartbeat. */
    record Received(Frame frame) implements Event { }

    /** The reader is done: clean end of stream when {@code failure} is null. Always the last frame event. */
    record Ended(Throwable failure) implements Event { }

    /** Look again: at the pool's phase, at the calls in flight (a stop asked, a kill due, a retirement), at the queue. */
    record Wake() implements Event { }

    static final Wake WAKE = new Wake();

    final String id;
    final Process process;
    final ProcessId processId;
    final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>(EVENT_CAPACITY);
    /** The calls sent to this worker and not answered. */
    final InFlight calls;
    /** Which frames the reader takes now: an answer only for the call that runs. */
    private final FrameGate gate;
    private final WorkerPool pool;
    private final FrameReader reader;
    private final FrameWriter writer;
    /** The control channel (a FIFO, see {@link Hello#CONTROL}): CANCEL, which must reach a call that runs. */
    private final ControlFifo control;
    private final SupervisedProcess supervised;
    private final BoundaryStream protocolIn;
    private final Thread stderrPump;
    private final Thread frameReader;
    private final ArrayDeque<String> stderrTail = new ArrayDeque<>();
    private volatile boolean killed;
    private volatile boolean sendsStacks;
    private volatile String killedBecause;
    /** From the worker's HELLO: it takes several unanswered calls. */
    private volatile boolean pipelines;
    /** From the worker's HELLO: it reads CANCEL on the control channel (else on stdin: an older stub). */
    private volatile boolean controlled;
    /**
     * The most bytes of CALLs the worker is sent behind the first, unanswered one: its call
     * thread reads stdin only between calls, so what waits behind a call that runs must fit in
     * the pipe, with room left for SHUTDOWN. Else a writer here would wait for the worker while
     * the worker waits to write answers nobody reads (and the write's deadline would kill it).
     */
    final int pipeRoom;
    /** A {@link #WAKE} is queued and not taken yet: one is enough. */
    private final AtomicBoolean wakePosted = new AtomicBoolean();
    private final Object sending = new Object();
    /** When the write in progress began (System.nanoTime); 0 when none is. Written by the slot's thread only. */
    private volatile long writingSince;
    private volatile boolean writeKilled; // set by the timer (stdin) or the slot (control channel); a second kill does no harm
    /** It made itself the child subreaper: it hands its orphans to this JVM as it ends. */
    private final boolean subreaper;

    private Worker(String id, SupervisedProcess supervised, WorkerPool pool, boolean subreaper, ControlFifo control,
            int pipeRoom) {
        this.control = control;
        this.pipeRoom = pipeRoom;
        this.id = id;
        this.subreaper = subreaper;
        this.pool = pool;
        this.supervised = supervised;
        this.process = supervised.process();
        this.processId = supervised.id();
        this.calls = new InFlight(pool, this);
        this.gate = new FrameGate(calls);
        PoolSettings settings = pool.settings;
        this.protocolIn = new BoundaryStream(new BufferedInputStream(process.getInputStream(), 65536));
        this.reader = new FrameReader(protocolIn, settings.maxFrameBytes, gate);
        this.writer = new FrameWriter(new BufferedOutputStream(process.getOutputStream(), 65536),
                settings.maxFrameBytes);
        this.stderrPump = Daemons.unstarted(() -> pumpStderr(settings), "supervisor-" + id + "-stderr");
        this.frameReader = Daemons.unstarted(this::readFrames, "supervisor-" + id + "-reader");
    }

    /**
     * Starts a worker JVM; returns once it runs (not once it is ready: see the slot). Must be
     * called from a thread that outlives the worker (the parent-death signal is per thread).
     * Whatever fails here releases everything made for the worker.
     */
    static Worker start(WorkerPool pool, String id) throws IOException {
        PoolSettings settings = pool.settings;
        Map<String, String> env = new HashMap<>(settings.environment);
        env.put("SUPERVISOR_PROTOCOL_FD", "3");
        env.put("SUPERVISOR_WORKER_ID", id);
        env.put("SUPERVISOR_MAX_FRAME", Integer.toString(settings.maxFrameBytes));
        env.put("SUPERVISOR_HEARTBEAT_MS", Long.toString(settings.heartbeat.toMillis()));
        List<String> jvmOptions = new ArrayList<>();
        if (settings.taskClass != null) {
            jvmOptions.add("-D" + TASK_PROPERTY + "=" + settings.taskClass); // first: the caller's own may override it
        }
        if (!settings.modulePath.isEmpty()) {
            // The caller's modules, every one resolved: the worker stub's own module among them
            // wins over its copy on the class path, and the caller's code loads as it did there.
            jvmOptions.addAll(List.of("--module-path", joined(settings.modulePath), "--add-modules", "ALL-MODULE-PATH"));
        }
        jvmOptions.addAll(settings.jvmOptions);
        String classPath = stubJar();
        boolean subreaper = false;
        if (SupervisedProcess.heldByTree(settings.mechanism)) {
            // The worker makes itself the child subreaper: an orphan among its task's descendants
            // then stays in its tree (env -i and setsid hide it from every other layer) for as
            // long as the worker lives; see docs/termination.md.
            Optional<Platform.JnaForChild> jna = Platform.jnaForChild();
            if (jna.isPresent()) {
                jvmOptions.add("-D" + SUBREAPER_PROPERTY + "=true");
                jvmOptions.addAll(jna.get().jvmOptions());
                classPath += ":" + jna.get().classPath();
                subreaper = true;
            }
        }
        ProcessSpec spec = ProcessSpec.java(settings.java, jvmOptions,
                        List.of("-cp", settings.classPath.isEmpty() ? classPath : classPath + ":" + joined(settings.classPath),
                                WorkerMain.class.getName()))
                .withEnvironment(env)
                .withLimits(settings.limits)
                .withMechanism(settings.mechanism)
                .withStdio(ProcessSpec.Stdio.WORKER)
                .withPrivateTmp(true)
                .withSandbox(settings.sandbox)
                .withLabel("worker " + id);
        if (settings.sandbox.readOnly()) {
            spec = spec.withTempWorkdir(false); // the one working directory it may write, its own
        }
        SupervisedProcess supervised;
        try {
            supervised = SupervisedProcess.startWorker(spec);
        } catch (LaunchException e) {
            throw new IOException(e.getMessage(), e);
        }
        Worker w;
        ControlFifo control = null;
        try {
            control = ControlFifo.make(supervised.privateTmp(), id);
            w = new Worker(id, supervised, pool, subreaper, control, pipeRoom(supervised.id().pid()));
            w.stderrPump.start();
            w.frameReader.start();
        } catch (Throwable t) {
            // Threads or memory ran out: nothing may be left of this worker.
            supervised.release();
            if (control != null) {
                control.close();
            }
            closeQuietly(supervised.process().getOutputStream());
            closeQuietly(supervised.process().getInputStream());
            closeQuietly(supervised.process().getErrorStream());
            throw t instanceof IOException io ? io : new IOException("cannot start worker " + id + ": " + t, t);
        }
        try {
            w.send(Frame.hello(Hello.of(Map.of("supervisor-worker-id", id, Hello.STACK_ON_CANCEL, "1",
                    Hello.PIPELINE, Integer.toString(settings.pipeline), Hello.CONTROL, control.path().toString()))));
        } catch (IOException e) {
            // It died at once: the slot reads its end, with its own reason, from the process.
        }
        Log.debug("worker " + id + " started: pid " + w.processId.pid() + ", " + supervised.mechanism());
        return w;
    }

    /** The capacity a worker's stdin pipe is grown to, where the kernel lets this JVM. */
    static final int WANTED_PIPE = 64 * 1024;
    /** What any pipe holds: one page. */
    static final int MIN_PIPE = 4096;
    /** Left in the pipe for SHUTDOWN (13 bytes) behind the calls. */
    static final int PIPE_SLACK = 512;

    /** See {@link #pipeRoom}: from the capacity of the worker's stdin, its fd 0, as the kernel gives it. */
    private static int pipeRoom(long pid) {
        int capacity = MIN_PIPE;
        try {
            capacity = Platform.posix().pipeCapacity(Path.of("/proc/" + pid + "/fd/0"), WANTED_PIPE);
        } catch (PlatformException e) {
            Log.debug("the capacity of worker pid " + pid + "'s stdin is unknown (" + e.getMessage()
                    + "): assuming " + MIN_PIPE + " bytes");
        }
        return Math.max(0, capacity - PIPE_SLACK);
    }

    /** The worker stub's TaskLoader.PROPERTY. */
    static final String TASK_PROPERTY = "supervisor.task.class";

    private static String joined(List<Path> paths) {
        StringBuilder s = new StringBuilder();
        for (Path p : paths) {
            s.append(s.length() == 0 ? "" : ":").append(p);
        }
        return s.toString();
    }

    /** The most of a worker's last stderr lines a message quotes, in characters. */
    static final int MAX_TAIL_CHARS = 4096;

    /** Set in a worker that is to make itself the child subreaper (worker-stub's {@code Subreaper}). */
    static final String SUBREAPER_PROPERTY = "supervisor.worker.subreaper";

    /** Where the worker-stub classes are: a jar in a distribution, a directory in a build. */
    private static String stubJar() {
        try {
            return Path.of(WorkerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the worker-stub classes: " + e, e);
        }
    }

    /** The next event, waiting until {@code deadline} (System.nanoTime); null when it passed. */
    Event next(long deadline) throws InterruptedException {
        Event e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (e == WAKE) {
            wakePosted.set(false);
        }
        return e;
    }

    /** Posts an event without blocking; false if the queue is full (of frames: the slot will kill anyway). */
    boolean post(Event e) {
        if (e == WAKE) {
            if (!wakePosted.compareAndSet(false, true)) {
                return true; // one is queued, and the slot looks again after it takes it
            }
            if (events.offer(e)) {
                return true;
            }
            wakePosted.set(false);
            return false;
        }
        return events.offer(e);
    }

    /**
     * How long the reader has been inside a frame without receiving a byte, in nanoseconds; 0 at a
     * frame boundary. A worker writes each frame with one write, so only a stopped, broken or
     * hostile worker stays inside a frame.
     */
    long stalledInFrame() {
        return protocolIn.stalled();
    }

    /** See {@link BoundaryStream#stuck}. */
    boolean stuckInFrame(long limitNanos) {
        return protocolIn.stuck(limitNanos);
    }

    /**
     * Writes one frame. Should the write not finish within the grace plus
     * {@link #WRITE_DEADLINE_NANOS} (a healthy worker reads its stdin at all times, so only one
     * that stopped does not), the worker is killed, which makes the write fail; the pool's timer
     * looks every {@link #WRITE_CHECK_MILLIS}, so the kill comes at most that much later.
     *
     * @throws IOException when the worker is gone, or was killed for not reading
     */
    void send(Frame frame) throws IOException {
        send(List.of(frame));
    }

    /** Writes frames, in order, as one write: see {@link #send(Frame)}. */
    void send(List<Frame> frames) throws IOException {
        // A timestamp, not a timer task per write: the pool's timer looks at it every
        // WRITE_CHECK_MILLIS (see checkWrite); scheduling and cancelling a task cost two locked
        // heap operations and an allocation on every call. One writer at a time, so the
        // timestamp is that of the write in progress.
        synchronized (sending) {
            writingSince = Math.max(1, System.nanoTime());
            try {
                writer.writeAll(frames);
            } finally {
                writingSince = 0;
            }
        }
    }

    /** True once the worker was killed for not reading its input ({@link #checkWrite}) or its control channel ({@link #cancel}). */
    boolean stoppedReading() {
        return writeKilled;
    }

    /** The pool's timer: kills the worker (off the timer's thread) if a write has taken longer than its deadline. */
    void checkWrite(long now) {
        long since = writingSince;
        if (since != 0 && now - since > pool.settings.grace.toNanos() + WRITE_DEADLINE_NANOS && !writeKilled) {
            writeKilled = true; // once: the kill itself comes from the pool's killer thread
            pool.killLater(this, "it stopped reading its input");
        }
    }

    /** How often the pool's timer looks for a write past its deadline: the kill comes at most this much late. */
    static final long WRITE_CHECK_MILLIS = 100;


    /** See {@link #send}. */
    static final long WRITE_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * From the worker's HELLO: it answers a CANCEL with its call thread's STACK; it takes several
     * calls at a time; it reads CANCEL on the control channel.
     */
    void agreed(boolean stacks, boolean pipeline, boolean controlChannel) {
        sendsStacks = stacks;
        pipelines = pipeline;
        controlled = controlChannel;
    }

    /**
     * Sends CANCEL on the control channel, where the worker reads it while a call runs; on stdin
     * to a worker that did not say it reads the control channel.
     */
    void cancel(long callId) throws IOException {
        if (controlled) {
            if (!control.send(Frame.cancel(callId)) && !writeKilled) {
                // Its pipe holds every CANCEL the worker may be due (ControlFifo): it stopped reading.
                writeKilled = true;
                pool.killLater(this, "it stopped reading its control channel");
            }
        } else {
            send(Frame.cancel(callId));
        }
    }

    /** How many unanswered calls this worker takes: the pool's pipeline if the worker said it pipelines, else 1. */
    int pipeline() {
        return pipelines ? pool.settings.pipeline : 1;
    }

    boolean sendsStacks() {
        return sendsStacks;
    }

    boolean alive() {
        return process.isAlive();
    }

    boolean wasKilled() {
        return killed;
    }

    /** {@link #kill()}, saying why in the worker's death message. */
    void kill(String why) {
        killedBecause = why;
        kill();
    }

    /** SIGKILL to the worker and its whole tree; safe from any thread, more than once. */
    void kill() {
        killed = true;
        supervised.kill();
    }

    /**
     * Asks the worker to finish and exit; kills it and its tree if it has not within
     * {@code graceNanos}, and kills whatever it left behind in any case. Then frees everything.
     */
    void stop(long graceNanos) {
        // This JVM's children now, none of which can be an orphan of this worker (a subreaper
        // while it lives): what is new after its end, it left.
        Set<Integer> before = subreaper && !pool.settings.claimOrphans ? childrenOfThisJvm() : null;
        try {
            send(Frame.shutdown());
            process.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
        try {
            process.waitFor(graceNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        release(before);
    }

    /**
     * Kills what is left of the worker's tree, frees its streams, threads, cgroup leaf and
     * guardian record. Bounded: {@link SupervisedProcess#release()}, then two seconds per thread.
     */
    void release() {
        release(null);
    }

    /**
     * As {@link #release()}; then, for a subreaper worker, kills the orphans it left to this JVM:
     * all new children of this JVM but known ones when the pool claims every orphan; else those
     * that are not among {@code childrenBefore} (taken before it was asked to stop), if given.
     */
    private void release(Set<Integer> childrenBefore) {
        supervised.release();
        control.close(); // after the worker's end: before it, its end would say "supervisor gone"
        if (subreaper && (pool.settings.claimOrphans || childrenBefore != null)) {
            Orphans.killLeftBy(processId,
                    pool.settings.claimOrphans ? pid -> false : childrenBefore::contains);
        }
        closeQuietly(process.getOutputStream());
        join(frameReader);
        closeQuietly(protocolIn);
        join(stderrPump);
        closeQuietly(process.getErrorStream());
    }

    private static Set<Integer> childrenOfThisJvm() {
        return new HashSet<>(ProcFs.children((int) ProcessHandle.current().pid()));
    }

    private static void join(Thread t) {
        try {
            t.join(2000);
            if (t.isAlive()) {
                // Blocked on a pipe someone else still holds, or on a full event queue.
                t.interrupt();
                t.join(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readFrames() {
        try {
            while (true) {
                protocolIn.boundary();
                Frame f = reader.read();
                protocolIn.boundary();
                if (f == null) {
                    events.put(new Ended(null));
                    return;
                }
                if (f.type() == FrameType.RESULT || f.type() == FrameType.ERROR) {
                    answered(f);
                } else if (f.type() != FrameType.HEARTBEAT) {
                    events.put(new Received(f));
                }
            }
        } catch (InterruptedException e) {
            // released
        } catch (Throwable t) {
            // A protocol error, a read error, or an Error (a payload that does not fit in the heap):
            // the slot hears of it and fails the call; this thread must never end silently.
            protocolIn.boundary();
            try {
                events.put(new Ended(t));
            } catch (InterruptedException e) {
                // released
            }
        }
    }

    /**
     * The reader, as the answer of the running call arrives (the gate let only that one through):
     * completes the call there and then, frees its place, and sends the worker what waits.
     */
    private void answered(Frame f) throws ProtocolException {
        if (calls.head().answer(f, calls)) {
            Log.debug("worker " + id + " had a fatal error in a call: recycling it");
        }
        if (calls.retired() != null) {
            post(WAKE);
            return;
        }
        calls.feed(false);
    }

    /** Waits up to {@code millis} for the process to end; its status, or -1 if it still runs. */
    int awaitExit(long millis) {
        try {
            if (process.waitFor(millis, TimeUnit.MILLISECONDS)) {
                return process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }

    /** How the worker ended, from facts: status, signal, a limit the cgroup or JVM reported, crash log, stderr. */
    record Death(String message, int status, int signal, Path crashLog, String limit) {
        WorkerCrashedException crashed(String context) {
            return new WorkerCrashedException(message + context, status, signal, crashLog, limit);
        }

        /**
         * Ended by a signal that stops a JVM from outside (SIGKILL: the OOM killer; SIGTERM,
         * SIGINT, SIGHUP: someone's kill), not by a limit of its own nor by a crash of its own.
         */
        boolean killedFromOutside() {
            return (signal == 9 || signal == 15 || signal == 2 || signal == 1) && limit == null && crashLog == null;
        }
    }

    /**
     * How the worker ended, for a message: status, the limit that ended it (only when its cgroup
     * or its JVM said so), hs_err file, last stderr lines (read to their end first, within a bound).
     *
     * @param status the exit status, or -1 if it still runs
     */
    Death death(int status) {
        if (status >= 0) {
            try {
                stderrPump.join(1000); // the last lines are the reason
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // The kernel's account where it has one: an exit with 143 is not a death by SIGTERM.
        ExitStatus exit = status < 0 ? null : OwnedChildren.ended(process);
        Ending ended = (exit != null && supervised.limited() ? supervised.ending(exit) : Ending.of(exit, null))
                .withCrashLog(supervised.crashLog());
        StringBuilder b = new StringBuilder(ended.limitPrefix());
        b.append("worker ").append(id).append(" (pid ").append(processId.pid())
                .append(") ").append(exit == null ? "stopped answering" : ended.describe());
        if (killedBecause != null) {
            b.append(", killed by the supervisor: ").append(killedBecause);
        }
        b.append(ended.crashLogSuffix());
        List<String> tail = stderrTail();
        if (!tail.isEmpty()) {
            // What a worker printed is its own: control characters escaped, the whole cut to 4 KiB
            // from its end (the last lines say most), so that a message stays one readable line.
            String lines = Printable.escape(String.join(" | ", tail));
            if (lines.length() > MAX_TAIL_CHARS) {
                lines = "..." + lines.substring(lines.length() - MAX_TAIL_CHARS);
            }
            b.append("; its last stderr lines: ").append(lines);
        }
        return new Death(b.toString(), status, ended.signal(), ended.crashLogPath(), ended.limitWord());
    }

    synchronized List<String> stderrTail() {
        return new ArrayList<>(stderrTail);
    }

    private void pumpStderr(PoolSettings settings) {
        String prefix = "[" + id + "] ";
        try (InputStream err = process.getErrorStream()) {
            byte[] buf = new byte[8192];
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int n;
            while ((n = err.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        emit(settings, prefix, line);
                    } else if (line.size() < MAX_STDERR_LINE) {
                        line.write(buf[i]);
                    } else {
                        emit(settings, prefix, line); // a line without end is forwarded in chunks
                        line.write(buf[i]);
                    }
                }
            }
            if (line.size() > 0) {
                emit(settings, prefix, line);
            }
        } catch (IOException e) {
            // the worker is gone
        }
    }

    private void emit(PoolSettings settings, String prefix, ByteArrayOutputStream line) {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        synchronized (this) {
            if (stderrTail.size() == STDERR_TAIL_LINES) {
                stderrTail.removeFirst();
            }
            stderrTail.addLast(text);
        }
        settings.workerOutput.accept(prefix + text);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
