package supervisor.process;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;
import supervisor.log.Log;
import supervisor.platform.Daemons;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;
import supervisor.terminate.OwnedChildren;
import supervisor.terminate.TaskTree;

/**
 * Cleans up after this JVM should it die without running another line (SIGKILL, the OOM killer):
 * a tiny {@code sh} process ({@code guardian.sh}) reading a pipe whose only writer is this JVM.
 * The kernel closes the pipe when this JVM dies, however it dies; the guardian sees EOF and kills
 * every recorded process tree and cgroup, and removes every recorded directory.
 *
 * <p>One guardian serves every supervised process of this JVM, each through a {@link Lease}; it
 * leaves when the last lease is released, so a library user's JVM keeps no child process once
 * its pools and runners are closed. Everything a process needs cleaned up is recorded
 * <em>before</em> it is created: a kill at any moment leaves nothing behind.
 *
 * <p>It runs in a session of its own ({@code setsid}): {@code kill -KILL -- -PGID} on the
 * supervisor's group, which is what {@code timeout -s KILL} and many process managers send, does
 * not reach it. A guardian that is killed (or stopped) nonetheless is replaced within 25 ms by one told
 * everything still recorded ({@link #watch()}). Thread-safe.
 */
final class Guardian {
    private static final Object LOCK = new Object();
    private static volatile Guardian current; // written under LOCK
    private static long nextLease; // guarded by LOCK
    /** How often a guardian with leases is checked for life: a dead or stopped one is replaced (see {@link #replace}). */
    private static final long WATCH_NANOS = TimeUnit.MILLISECONDS.toNanos(25);
    /** After a replacement failed to start, the longest wait before the next attempt. */
    private static final long RETRY_MAX_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Every guardian process this JVM started or adopted that may still run, a starting one
     * included: none of them is ever a member of a task's tree (a replacement is a child of this
     * JVM born after the task, which a tree that claims orphans would otherwise count as its own).
     */
    private static final Set<Integer> PIDS = ConcurrentHashMap.newKeySet();
    private static Thread watcher; // guarded by LOCK

    private final ProcessHandle process;
    /** Its pid and start time: alive is "this very process, not a zombie". Null: gone already when found. */
    private final ProcessId id;
    private final OutputStream pipe;
    private int leases; // guarded by LOCK
    /** What each lease recorded and has not dropped, in order: what a successor is told again. */
    private final Map<Long, List<String>> records = new LinkedHashMap<>(); // guarded by this
    /** The guardian that took over from this one once it died; what comes later goes there. */
    private Guardian successor; // guarded by this
    private volatile boolean dismissed;
    private boolean lost; // guarded by LOCK: found dead or stopped, killed and its pipe closed
    private String lostHow; // guarded by LOCK: "is gone" or "was stopped (killed it)"
    private boolean saidCannotReplace; // guarded by LOCK

    private Guardian(ProcessHandle process, OutputStream pipe) {
        this.process = process;
        this.pipe = pipe;
        this.id = ProcFs.id((int) process.pid()).orElse(null);
    }

    /** This very process, neither exited nor stopped: a stopped guardian could not clean up either. */
    private boolean alive() {
        return Liveness.running(id);
    }

    /**
     * True for the pid of a guardian process of this JVM (see {@link #PIDS}), or of one the JDK
     * is still spawning (not yet a {@link Process}, so its pid is known only as a child of the
     * spawning thread).
     */
    static boolean isGuardian(int pid) {
        if (PIDS.contains(pid)) {
            return true;
        }
        for (Spawn s : SPAWNS) {
            if (s.children().contains(pid)) {
                return true;
            }
        }
        return false;
    }

    /** Kills this guardian if it is still this very process (stopped, say), closes its pipe, and forgets its pid. */
    private void abandon() {
        if (id != null && ProcFs.exists(id)) {
            process.destroyForcibly(); // SIGKILL: a stopped process dies of it too
        }
        try {
            pipe.close();
        } catch (IOException e) {
            // gone already
        }
        PIDS.remove((int) process.pid());
    }

    /**
     * A share of the guardian for one supervised process: what it records is killed and removed
     * if this JVM dies before {@link #release()}.
     */
    static final class Lease {
        private final long id;
        private final boolean recording; // false: no guardian could be started when it was taken
        private boolean released; // guarded by LOCK

        private Lease(long id, boolean recording) {
            this.id = id;
            this.recording = recording;
        }

        void task(ProcessId task, String marker) {
            say("task " + task.pid() + " " + task.startTime() + " " + marker);
        }

        void cgroup(Path dir) {
            say("cgroup " + dir);
        }

        void dir(Path dir) {
            say("dir " + dir);
        }

        /** A file to remove: the guardian's {@code rm -rf} of a "dir" entry removes a file as well. */
        void file(Path file) {
            say("dir " + file);
        }

        private void say(String what) {
            Guardian g = recording ? current : null;
            if (g != null) {
                g.record(id, what);
            }
        }

        /** Everything recorded was cleaned up normally; the guardian forgets it. Idempotent. */
        void release() {
            synchronized (LOCK) {
                if (released || !recording) {
                    released = true;
                    return;
                }
                released = true;
                Guardian g = current;
                if (g == null) {
                    return;
                }
                g.drop(id);
                if (--g.leases == 0) {
                    g.dismiss();
                    current = null;
                    // Nobody needs the one being started (a replacement, say): it must not hold up
                    // this JVM's end, nor outlive it stopped mid-spawn.
                    SPAWNS.forEach(s -> s.kill());
                }
            }
        }
    }

    /**
     * A lease on this JVM's guardian, starting one if none runs. When none can be started, says so
     * and returns a lease that records nothing: the task then has its other layers only. A lost
     * guardian (dead or stopped) being replaced still takes the lease: what it records goes to
     * its successor. Never starts a guardian with LOCK held, so that no release (a process's
     * clean-up) waits for a start; a start gives up within {@link #START_TIMEOUT_NANOS}.
     */
    static Lease lease() {
        while (true) {
            CompletableFuture<Guardian> pending;
            synchronized (LOCK) {
                Guardian g = current;
                if (g != null && !g.lost && !g.alive()) {
                    lose(g); // it died between two leases: the watch thread has another started
                }
                if (g != null) {
                    g.leases++;
                    watch();
                    return new Lease(++nextLease, true);
                }
                pending = startInBackground();
            }
            Guardian next;
            try {
                next = pending.join();
            } catch (CompletionException e) {
                synchronized (LOCK) {
                    if (starting == pending) {
                        starting = null;
                    }
                    if (current != null) {
                        continue; // another lease's start succeeded meanwhile
                    }
                }
                Log.warn("cannot start the guardian (" + e.getCause().getMessage() + "): should the supervisor be"
                        + " killed, its tasks' processes and directories will not be cleaned up");
                synchronized (LOCK) {
                    return new Lease(++nextLease, false);
                }
            }
            synchronized (LOCK) {
                if (starting == pending) {
                    starting = null;
                    install(next, true);
                }
            }
        }
    }

    /** Kills a dead or stopped guardian, if it is still there, and closes its pipe; it stays current until replaced. */
    private static void lose(Guardian g) { // LOCK held
        boolean stopped = Liveness.stopped(g.id);
        g.lost = true;
        g.lostHow = stopped ? "was stopped (killed it)" : "is gone";
        g.abandon();
    }

    /**
     * Makes {@code next}, just started, the current guardian: in place of none (when a lease
     * wants one), or of a lost one, whose records it is told. Otherwise it is not needed and
     * dismissed. LOCK held.
     */
    private static void install(Guardian next, boolean wanted) {
        Guardian g = current;
        if (g == null && wanted) {
            current = next;
        } else if (g != null && g.lost) {
            handOver(g, next);
        } else {
            next.leases = 0;
            next.dismiss();
        }
    }

    /**
     * While a guardian has leases, one thread checks every 25 ms that it still lives (and is not
     * stopped): one that was killed (it ignores the signals a shell sends, not SIGKILL) or stopped
     * is replaced at once, not when the next process is recorded, so that a kill of the guardian
     * and then of the supervisor leaves nothing behind unless the two come within that check and a
     * new guardian's start. A replacement that cannot start is tried again, with a back-off, for as
     * long as there are leases. It waits for a start without LOCK, so releases go on meanwhile.
     * The thread never waits in native code, so this JVM's exit does not wait for it. Called with
     * LOCK held.
     */
    private static void watch() {
        if (watcher != null && watcher.isAlive()) {
            return;
        }
        watcher = Daemons.start(() -> {
            long pause = WATCH_NANOS;
            while (true) {
                LockSupport.parkNanos(pause);
                Guardian g;
                CompletableFuture<Guardian> pending;
                synchronized (LOCK) {
                    g = current;
                    if (g == null || g.dismissed || g.leases == 0) {
                        watcher = null;
                        return;
                    }
                    if (!g.lost && g.alive()) {
                        pause = WATCH_NANOS;
                        continue;
                    }
                    if (!g.lost) {
                        lose(g);
                    }
                    pending = startInBackground();
                }
                String failure = null;
                Guardian next = null;
                try {
                    next = pending.join();
                } catch (CompletionException e) {
                    failure = e.getCause().getMessage();
                }
                synchronized (LOCK) {
                    if (starting == pending) {
                        starting = null;
                        if (next != null) {
                            install(next, false);
                        }
                    }
                    if (current != g) {
                        pause = WATCH_NANOS; // replaced, or every lease released meanwhile
                    } else {
                        pause = Math.min(RETRY_MAX_NANOS, pause * 2);
                        if (failure != null && !g.saidCannotReplace) {
                            g.saidCannotReplace = true;
                            Log.warn("the guardian (pid " + g.process.pid() + ") " + g.lostHow + " and another cannot be"
                                    + " started (" + failure + "); trying again: until one starts, a kill of the"
                                    + " supervisor would leave its tasks' processes and directories behind");
                        }
                    }
                }
            }
        }, "supervisor-guardian-watch");
    }

    /** Checks the current guardian now rather than at the next tick (it was seen to exit). */
    private static void wakeWatcher() {
        Thread t;
        synchronized (LOCK) {
            t = watcher;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Makes {@code next} take over from {@code dead} (lost: gone, or stopped and killed): tells it
     * everything {@code dead} still has recorded, and sends it what {@code dead} is told from now
     * on. LOCK held.
     */
    private static void handOver(Guardian dead, Guardian next) {
        int told = 0;
        synchronized (dead) {
            synchronized (next) {
                for (Map.Entry<Long, List<String>> e : dead.records.entrySet()) {
                    for (String what : e.getValue()) {
                        next.recordHere(e.getKey(), what);
                        told++;
                    }
                }
                dead.successor = next; // what dead is told from now on goes to next, after these
            }
        }
        next.leases = dead.leases;
        current = next;
        Log.warn("the guardian (pid " + dead.process.pid() + ") " + dead.lostHow + ": another (pid " + next.process.pid()
                + ") now holds what is to be cleaned up should the supervisor be killed (" + told + " record"
                + (told == 1 ? "" : "s") + ")");
    }

    /** Records {@code what} for {@code lease}, here or with this guardian's successor. */
    private void record(long lease, String what) {
        Guardian target;
        synchronized (this) {
            if (successor == null) {
                recordHere(lease, what);
                return;
            }
            target = successor;
        }
        target.record(lease, what);
    }

    private void recordHere(long lease, String what) { // with this guardian's monitor held
        records.computeIfAbsent(lease, k -> new ArrayList<>()).add(what);
        write(lease + " " + what);
    }

    /** Forgets what {@code lease} recorded, here or with this guardian's successor. */
    private void drop(long lease) {
        Guardian target;
        synchronized (this) {
            if (successor == null) {
                records.remove(lease);
                write("drop " + lease);
                return;
            }
            target = successor;
        }
        target.drop(lease);
    }

    /** A guardian being started, on a thread of its own (never with LOCK held); installed by whoever waits for it. */
    private static CompletableFuture<Guardian> starting; // guarded by LOCK
    /**
     * The longest a guardian's start may take, spawn and "ready" together: one that does not
     * report by then (stopped mid-spawn, starved) is killed, and counts as a failed start.
     */
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /**
     * The longest the JDK's spawn alone may take. It holds {@link OwnedChildren}'s lock, which the
     * spawns of tasks and workers wait for, so it is bounded more tightly; it takes milliseconds.
     */
    private static final long SPAWN_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** The guardian spawns in flight. */
    private static final Set<Spawn> SPAWNS = ConcurrentHashMap.newKeySet();

    /**
     * Starts the guardian in the background, so that the first {@link #lease()} does not wait for
     * a process start (a one-shot run's critical path: the spawn of a shell that must say it is
     * ready); returns at once.
     */
    static void prestart() {
        synchronized (LOCK) {
            if (current == null) {
                startInBackground();
            }
        }
    }

    /** The start in flight, or a new one: the launcher's guardian if there is one, else one this JVM spawns. LOCK held. */
    private static CompletableFuture<Guardian> startInBackground() {
        if (starting != null) {
            return starting;
        }
        CompletableFuture<Guardian> f = new CompletableFuture<>();
        starting = f;
        Thread t = Daemons.start(() -> {
            try {
                Log.trace("guardian");
                Guardian g = fromLauncher();
                f.complete(g != null ? g : start());
                Log.trace("guardian ready");
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        }, "supervisor-guardian-start");
        return f;
    }

    /**
     * Spawns a guardian and waits for its "ready", within {@link #START_TIMEOUT_NANOS}. The JDK's
     * spawn waits for the child to exec, without bound: a child stopped before it (SIGSTOP, a
     * debugger) would hold the calling thread for good. So the spawn runs on a thread of its own,
     * and a spawn that takes too long is ended by killing that thread's children.
     */
    private static Guardian start() throws IOException {
        Spawn spawn = new Spawn();
        SPAWNS.add(spawn);
        try {
            Thread t = Daemons.start(spawn, "supervisor-guardian-spawn");
            long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
            try {
                spawn.spawned.get(SPAWN_TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
                return spawn.ready.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                boolean spawning = !spawn.spawned.isDone();
                spawn.kill();
                throw new IOException(spawning
                        ? "its spawn did not complete within " + TimeUnit.NANOSECONDS.toSeconds(SPAWN_TIMEOUT_NANOS)
                                + " s (stopped or starved before it ran): killed it"
                        : "the guardian did not say it was ready within "
                                + TimeUnit.NANOSECONDS.toSeconds(START_TIMEOUT_NANOS) + " s: killed it");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
            } catch (InterruptedException e) {
                spawn.kill();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while it started");
            }
        } finally {
            SPAWNS.remove(spawn);
        }
    }

    /** One guardian start, run on a thread of its own (see {@link #start()}). */
    private static final class Spawn implements Runnable {
        final CompletableFuture<Process> spawned = new CompletableFuture<>();
        final CompletableFuture<Guardian> ready = new CompletableFuture<>();
        /** The spawning thread's /proc directory: the JDK's child is that thread's child until it is a Process. */
        private volatile Path thread;
        private volatile boolean killed;

        @Override
        public void run() {
            try {
                thread = ProcFs.currentThread();
                Process p = spawn();
                spawned.complete(p);
                if (killed) {
                    p.destroyForcibly();
                }
                ready.complete(awaitReady(p));
            } catch (IOException | RuntimeException e) {
                spawned.completeExceptionally(e);
                ready.completeExceptionally(e);
            }
        }

        /** The processes the spawning thread forked that are not yet a {@link Process}: a guardian the JDK is spawning. */
        List<Integer> children() {
            Path t = thread;
            return t == null || spawned.isDone() ? List.of() : ProcFs.threadChildren(t);
        }

        /** Kills the guardian being started, spawned or not: the JDK's spawn then returns or fails at once. */
        void kill() {
            killed = true;
            Path t = thread;
            if (t != null) {
                for (int pid : ProcFs.threadChildren(t)) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL: a stopped one dies too
                }
            }
            Process p = spawned.isDone() && !spawned.isCompletedExceptionally() ? spawned.join() : null;
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    private static Process spawn() throws IOException {
        List<String> command = new ArrayList<>();
        Helpers.setsid().ifPresent(command::add);
        command.addAll(List.of(Helpers.SH, "-c", script(), "supervisor-guardian"));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().remove(TaskTree.MARKER_VARIABLE);
        // Its helpers (grep, rm, sleep) come from the system, whatever PATH the supervisor has.
        pb.environment().put("PATH", Helpers.SYSTEM_PATH);
        Process p = OwnedChildren.start(pb);
        PIDS.add((int) p.pid()); // from its birth: no task's tree may count it, starting or not
        OwnedChildren.exit(p).thenRun(Guardian::wakeWatcher);
        return p;
    }

    /**
     * Until setsid has run, the guardian is in this JVM's process group, where a kill of the
     * group would take it too: it says "ready" once it is in a session of its own. Bounded by
     * {@link #start()}, which kills it when it is late (the read then sees end of file).
     */
    private static Guardian awaitReady(Process p) throws IOException {
        InputStream out = p.getInputStream();
        byte[] ready = new byte[6];
        int n = 0;
        while (n < ready.length) {
            int r = out.read(ready, n, ready.length - n);
            if (r <= 0) {
                break;
            }
            n += r;
        }
        if (n < ready.length || !new String(ready, StandardCharsets.US_ASCII).equals("ready\n")) {
            p.destroyForcibly();
            OwnedChildren.exit(p).thenRun(() -> PIDS.remove((int) p.pid()));
            throw new IOException("the guardian exited as it started");
        }
        out.close();
        return new Guardian(p.toHandle(), p.getOutputStream());
    }

    /** Where the launcher says it started a guardian: {@code FD:PID}. Read once. */
    static final String LAUNCHER_PROPERTY = "supervisor.guardian";
    private static final long LAUNCHER_READY_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * The guardian the launcher ({@code scripts/supervisor}) started while this JVM booted, if it
     * is one: this JVM's child, in a session of its own, reading the pipe whose write end this JVM
     * inherited as FD. Null when there is none, or it is not what the launcher said (then FD is not
     * opened here; a guardian on it sees EOF with nothing recorded when this JVM exits, and leaves).
     */
    private static Guardian fromLauncher() {
        String value = System.getProperty(LAUNCHER_PROPERTY);
        if (value == null) {
            return null;
        }
        System.clearProperty(LAUNCHER_PROPERTY); // one JVM, one launcher guardian
        int colon = value.indexOf(':');
        int fd;
        int pid;
        try {
            fd = Integer.parseInt(value.substring(0, colon));
            pid = Integer.parseInt(value.substring(colon + 1));
        } catch (RuntimeException e) {
            Log.debug("ignoring -D" + LAUNCHER_PROPERTY + "=" + value + ": not FD:PID");
            return null;
        }
        Path ours = Path.of("/proc/self/fd/" + fd);
        // Checked before the descriptor is opened: the property may be forged (JAVA_TOOL_OPTIONS),
        // and FD then anything the caller gave this JVM, such as the file its stdout appends to.
        String why = launcherGuardianProblem(ours, pid);
        if (why != null) {
            Log.debug("not using the launcher's guardian (pid " + pid + "): " + why + "; starting one");
            return null;
        }
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        if (handle == null) {
            return null;
        }
        OutputStream pipe;
        try {
            // Append: opening /proc/self/fd/FD for writing without it would truncate a regular file.
            pipe = new FileOutputStream(ours.toFile(), true);
        } catch (IOException e) {
            Log.debug("the launcher's guardian pipe (fd " + fd + ") cannot be opened: " + e.getMessage());
            return null;
        }
        PIDS.add(pid);
        return new Guardian(handle, pipe);
    }

    /**
     * Null when PID runs this jar's guardian.sh ({@code sh PATH}): a script of another build
     * would not understand what it is told, and would clean up nothing. Checked by its CRC-32,
     * which the build computes ({@link GuardianScript}), rather than against the text: reading
     * the jar's resource costs a one-shot run 7-9 ms on its critical path.
     */
    private static String sameScript(int pid) {
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            String[] args = new String(cmdline, StandardCharsets.UTF_8).split("\0");
            if (args.length < 2 || !args[1].endsWith("guardian.sh")) {
                return "it does not run guardian.sh";
            }
            CRC32 crc = new CRC32();
            crc.update(Files.readAllBytes(Path.of(args[1])));
            return crc.getValue() == GuardianScript.CRC32 ? null : "its " + args[1] + " is not this jar's guardian.sh";
        } catch (IOException | RuntimeException e) {
            return "its script cannot be read: " + e.getMessage();
        }
    }

    /** Null when PID is this JVM's child in a session of its own reading pipe {@code ours}. */
    private static String launcherGuardianProblem(Path ours, int pid) {
        long self = ProcessHandle.current().pid();
        long deadline = System.nanoTime() + LAUNCHER_READY_NANOS;
        while (true) {
            Optional<ProcStat> stat = ProcFs.stat(pid);
            if (stat.isEmpty() || stat.get().state() == 'Z' || stat.get().ppid() != self) {
                return "not a live child of this JVM";
            }
            // Until setsid has run, it is in this JVM's process group, where a kill of the group
            // would take it too.
            if (stat.get().session() == pid) {
                try {
                    Path theirs = Path.of("/proc/" + pid + "/fd/0");
                    if (!Files.readSymbolicLink(ours).equals(Files.readSymbolicLink(theirs))) {
                        return "its standard input is not the pipe this JVM was given";
                    }
                } catch (IOException e) {
                    return "its standard input cannot be read: " + e.getMessage();
                }
                return sameScript(pid);
            }
            if (System.nanoTime() - deadline >= 0) {
                return "not in a session of its own within 2 s";
            }
            LockSupport.parkNanos(500_000);
        }
    }

    private void write(String line) {
        if (line.indexOf('\n') >= 0) {
            // A path with a newline cannot be recorded; it is not ours to guess at.
            Log.warn("the guardian cannot record a name with a newline in it: " + line.replace("\n", "\\n"));
            return;
        }
        synchronized (this) {
            try {
                pipe.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                pipe.flush();
            } catch (IOException e) {
                // The guardian is gone; the next lease starts another.
            }
        }
    }

    private void dismiss() {
        dismissed = true;
        write("done");
        try {
            pipe.close();
        } catch (IOException e) {
            // gone already
        }
        if (Liveness.stopped(id)) {
            process.destroyForcibly(); // stopped, it cannot leave at "done"; it holds nothing now
        }
        try {
            process.onExit().get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // it leaves at "done"; if it is slow to, it is in a session of its own and harmless
        }
        PIDS.remove((int) process.pid());
    }

    private static volatile String script;

    private static String script() throws IOException {
        String s = script;
        if (s == null) {
            try (InputStream in = Guardian.class.getResourceAsStream("guardian.sh")) {
                if (in == null) {
                    throw new IOException("guardian.sh is missing from the supervisor jar");
                }
                s = script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        return s;
    }
}
