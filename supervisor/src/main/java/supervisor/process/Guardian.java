package supervisor.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
import supervisor.platform.ProcFs;
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
    private static final java.util.Set<Integer> PIDS = java.util.concurrent.ConcurrentHashMap.newKeySet();
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
    private boolean saidCannotReplace; // guarded by LOCK

    private Guardian(ProcessHandle process, OutputStream pipe) {
        this.process = process;
        this.pipe = pipe;
        this.id = ProcFs.id((int) process.pid()).orElse(null);
    }

    /** This very process, neither exited nor stopped: a stopped guardian could not clean up either. */
    private boolean alive() {
        return id != null && ProcFs.stat(id.pid())
                .map(st -> st.startTime() == id.startTime() && !st.isDead() && !st.isStopped()).orElse(false);
    }

    /** True for the pid of a guardian process of this JVM (see {@link #PIDS}). */
    static boolean isGuardian(int pid) {
        return PIDS.contains(pid);
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
                }
            }
        }
    }

    /**
     * A lease on this JVM's guardian, starting one if none runs. When none can be started, says so
     * once and returns a lease that records nothing: the task then has its other layers only.
     */
    static Lease lease() {
        synchronized (LOCK) {
            long id = ++nextLease;
            if (current == null && starting != null) {
                // Started ahead by prestart(): take it when it is ready.
                try {
                    current = starting.join();
                } catch (java.util.concurrent.CompletionException e) {
                    current = null;
                }
                starting = null;
            }
            if (current != null && !current.alive()) {
                replace(current); // it died between two leases: its records go to another
            }
            if (current == null) {
                try {
                    Log.trace("guardian");
                    Guardian adopted = fromLauncher();
                    current = adopted != null ? adopted : start();
                    Log.trace("guardian ready");
                } catch (IOException e) {
                    Log.warn("cannot start the guardian (" + e.getMessage() + "): should the supervisor be killed,"
                            + " its tasks' processes and directories will not be cleaned up");
                    current = null;
                    return new Lease(id, false);
                }
            }
            current.leases++;
            watch();
            return new Lease(id, true);
        }
    }

    /**
     * While a guardian has leases, one thread checks every 25 ms that it still lives (and is not
     * stopped): one that was killed (it ignores the signals a shell sends, not SIGKILL) or stopped
     * is replaced at once, not when the next process is recorded, so that a kill of the guardian
     * and then of the supervisor leaves nothing behind unless the two come within that check and a
     * new guardian's start. A replacement that cannot start is tried again, with a back-off, for as
     * long as there are leases. The thread sleeps between checks and never waits in native code, so
     * this JVM's exit does not wait for it. Called with LOCK held.
     */
    private static void watch() {
        if (watcher != null && watcher.isAlive()) {
            return;
        }
        watcher = new Thread(() -> {
            long pause = WATCH_NANOS;
            while (true) {
                java.util.concurrent.locks.LockSupport.parkNanos(pause);
                synchronized (LOCK) {
                    Guardian g = current;
                    if (g == null || g.dismissed || g.leases == 0) {
                        watcher = null;
                        return;
                    }
                    if (g.alive()) {
                        pause = WATCH_NANOS;
                    } else {
                        boolean replaced = replace(g);
                        pause = replaced ? WATCH_NANOS : Math.min(RETRY_MAX_NANOS, pause * 2);
                    }
                }
            }
        }, "supervisor-guardian-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Checks the current guardian now rather than at the next tick (it was seen to exit). */
    private static void wakeWatcher() {
        Thread t;
        synchronized (LOCK) {
            t = watcher;
        }
        if (t != null) {
            java.util.concurrent.locks.LockSupport.unpark(t);
        }
    }

    /**
     * Starts a guardian to take over from {@code dead} (gone, or stopped: then killed), tells it
     * everything {@code dead} still had recorded, and makes it the current one. Called with LOCK
     * held. If none can be started, says so once per loss and keeps {@code dead} current, so that the
     * watch thread and the next lease try again; false then.
     */
    private static boolean replace(Guardian dead) {
        boolean stopped = dead.id != null && ProcFs.stat(dead.id.pid())
                .map(st -> st.startTime() == dead.id.startTime() && st.isStopped()).orElse(false);
        if (!dead.lost) {
            dead.lost = true;
            dead.abandon();
        }
        Guardian next;
        try {
            next = start();
        } catch (IOException e) {
            if (!dead.saidCannotReplace) {
                dead.saidCannotReplace = true;
                Log.warn("the guardian (pid " + dead.process.pid() + ") " + (stopped ? "was stopped (killed it)" : "is gone")
                        + " and another cannot be started (" + e.getMessage() + "); trying again: until one starts, a kill"
                        + " of the supervisor would leave its tasks' processes and directories behind");
            }
            return false;
        }
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
        Log.warn("the guardian (pid " + dead.process.pid() + ") " + (stopped ? "was stopped (killed it)" : "is gone")
                + ": another (pid " + next.process.pid() + ") now holds what is to be cleaned up should the supervisor"
                + " be killed (" + told + " record" + (told == 1 ? "" : "s") + ")");
        return true;
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

    private static java.util.concurrent.CompletableFuture<Guardian> starting; // guarded by LOCK
    private static final long READY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    /**
     * Starts the guardian in the background, so that the first {@link #lease()} does not wait for
     * a process start (a one-shot run's critical path: the spawn of a shell that must say it is
     * ready); returns at once.
     */
    static void prestart() {
        synchronized (LOCK) {
            if (current != null || starting != null) {
                return;
            }
            java.util.concurrent.CompletableFuture<Guardian> f = new java.util.concurrent.CompletableFuture<>();
            starting = f;
            Thread t = new Thread(() -> {
                try {
                    Guardian g = fromLauncher();
                    f.complete(g != null ? g : start());
                } catch (IOException | RuntimeException e) {
                    f.completeExceptionally(e);
                }
            }, "supervisor-guardian-start");
            t.setDaemon(true);
            t.start();
        }
    }

    private static Guardian start() throws IOException {
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
        // Until setsid has run, the guardian is in this JVM's process group, where a kill of the
        // group would take it too: it says "ready" once it is in a session of its own.
        InputStream out = p.getInputStream();
        byte[] ready = new byte[6];
        int n = 0;
        // Bounded: a guardian that never says it (stopped, starved) must not hold up the start.
        long deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
        while (n < ready.length && System.nanoTime() - deadline < 0) {
            if (out.available() > 0 || !p.isAlive()) {
                int r = out.read(ready, n, ready.length - n);
                if (r <= 0) {
                    break;
                }
                n += r;
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
        }
        if (n < ready.length || !new String(ready, StandardCharsets.US_ASCII).equals("ready\n")) {
            boolean silent = n < ready.length && p.isAlive();
            p.destroyForcibly();
            OwnedChildren.exit(p).thenRun(() -> PIDS.remove((int) p.pid()));
            throw new IOException(silent ? "the guardian did not say it was ready within 5 s"
                    : "the guardian exited as it started");
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
            pipe = new java.io.FileOutputStream(ours.toFile(), true);
        } catch (IOException e) {
            Log.debug("the launcher's guardian pipe (fd " + fd + ") cannot be opened: " + e.getMessage());
            return null;
        }
        PIDS.add(pid);
        return new Guardian(handle, pipe);
    }

    /**
     * CRC-32 of this jar's guardian.sh, which the launcher's copy must match (GuardianScriptTest
     * fails, naming the new value, when the script changes and this does not). A checksum rather
     * than the text: reading the jar's resource costs a one-shot run 7-9 ms on its critical path.
     */
    static final long SCRIPT_CRC32 = 0x6776e78eL;

    /**
     * Null when PID runs this jar's guardian.sh ({@code sh PATH}): a script of another build
     * would not understand what it is told, and would clean up nothing.
     */
    private static String sameScript(int pid) {
        try {
            byte[] cmdline = java.nio.file.Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            String[] args = new String(cmdline, StandardCharsets.UTF_8).split("\0");
            if (args.length < 2 || !args[1].endsWith("guardian.sh")) {
                return "it does not run guardian.sh";
            }
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(java.nio.file.Files.readAllBytes(Path.of(args[1])));
            return crc.getValue() == SCRIPT_CRC32 ? null : "its " + args[1] + " is not this jar's guardian.sh";
        } catch (IOException | RuntimeException e) {
            return "its script cannot be read: " + e.getMessage();
        }
    }

    /** Null when PID is this JVM's child in a session of its own reading pipe {@code ours}. */
    private static String launcherGuardianProblem(Path ours, int pid) {
        long self = ProcessHandle.current().pid();
        long deadline = System.nanoTime() + LAUNCHER_READY_NANOS;
        while (true) {
            java.util.Optional<supervisor.platform.ProcStat> stat = supervisor.platform.ProcFs.stat(pid);
            if (stat.isEmpty() || stat.get().state() == 'Z' || stat.get().ppid() != self) {
                return "not a live child of this JVM";
            }
            // Until setsid has run, it is in this JVM's process group, where a kill of the group
            // would take it too.
            if (stat.get().session() == pid) {
                try {
                    java.nio.file.Path theirs = Path.of("/proc/" + pid + "/fd/0");
                    if (!java.nio.file.Files.readSymbolicLink(ours).equals(java.nio.file.Files.readSymbolicLink(theirs))) {
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
            java.util.concurrent.locks.LockSupport.parkNanos(500_000);
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
        if (id != null && ProcFs.stat(id.pid()).map(st -> st.startTime() == id.startTime() && st.isStopped()).orElse(false)) {
            process.destroyForcibly(); // stopped, it cannot leave at "done"; it holds nothing now
        }
        try {
            process.onExit().get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
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
