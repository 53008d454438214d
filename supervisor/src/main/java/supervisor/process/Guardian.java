package supervisor.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
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
 * not reach it. Thread-safe.
 */
final class Guardian {
    private static final Object LOCK = new Object();
    private static Guardian current; // guarded by LOCK
    private static long nextLease; // guarded by LOCK

    private final ProcessHandle process;
    private final OutputStream pipe;
    private int leases; // guarded by LOCK

    private Guardian(ProcessHandle process, OutputStream pipe) {
        this.process = process;
        this.pipe = pipe;
    }

    /**
     * A share of the guardian for one supervised process: what it records is killed and removed
     * if this JVM dies before {@link #release()}.
     */
    static final class Lease {
        private final Guardian guardian; // null: no guardian could be started
        private final long id;
        private boolean released;

        private Lease(Guardian guardian, long id) {
            this.guardian = guardian;
            this.id = id;
        }

        /** The guardian's pid, or -1. */
        int pid() {
            return guardian == null ? -1 : (int) guardian.process.pid();
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
            if (guardian != null) {
                guardian.write(id + " " + what);
            }
        }

        /** Everything recorded was cleaned up normally; the guardian forgets it. Idempotent. */
        void release() {
            synchronized (LOCK) {
                if (released || guardian == null) {
                    released = true;
                    return;
                }
                released = true;
                guardian.write("drop " + id);
                if (--guardian.leases == 0) {
                    guardian.dismiss();
                    if (current == guardian) {
                        current = null;
                    }
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
            if (current == null || !current.process.isAlive()) {
                try {
                    Log.trace("guardian");
                    Guardian adopted = fromLauncher();
                    current = adopted != null ? adopted : start();
                    Log.trace("guardian ready");
                } catch (IOException e) {
                    Log.warn("cannot start the guardian (" + e.getMessage() + "): should the supervisor be killed,"
                            + " its tasks' processes and directories will not be cleaned up");
                    current = null;
                    return new Lease(null, id);
                }
            }
            current.leases++;
            return new Lease(current, id);
        }
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
        return new Guardian(handle, pipe);
    }

    /**
     * CRC-32 of this jar's guardian.sh, which the launcher's copy must match (GuardianScriptTest
     * fails, naming the new value, when the script changes and this does not). A checksum rather
     * than the text: reading the jar's resource costs a one-shot run 7-9 ms on its critical path.
     */
    static final long SCRIPT_CRC32 = 0x65c1e188L;

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
        write("done");
        try {
            pipe.close();
        } catch (IOException e) {
            // gone already
        }
        try {
            process.onExit().get(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // it leaves at "done"; if it is slow to, it is in a session of its own and harmless
        }
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
