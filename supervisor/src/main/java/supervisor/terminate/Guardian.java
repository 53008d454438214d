package supervisor.terminate;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import supervisor.platform.ProcessId;

/**
 * Kills a task whose supervisor died without running another line (SIGKILL, the OOM killer).
 *
 * <p>The guardian is a tiny shell process ({@code guardian.sh}) reading a pipe whose only writer
 * is this JVM. The kernel closes that pipe when this JVM dies, however it dies; the guardian sees
 * EOF and kills the task's cgroup, process group and marked processes. On a normal finish the
 * supervisor says "done" first, and the guardian leaves quietly. PR_SET_PDEATHSIG on the task
 * (through {@code setpriv}) is the second layer: it kills the task JVM itself, but not its
 * children, and it fires when the spawning <em>thread</em> ends, so it cannot be the only one.
 */
public final class Guardian {
    private final int pid;
    private final OutputStream pipe;
    private final Process process; // null when the launcher started the guardian

    private Guardian(int pid, OutputStream pipe, Process process) {
        this.pid = pid;
        this.pipe = pipe;
        this.process = process;
    }

    public int pid() {
        return pid;
    }

    /** Starts a guardian for a task this JVM spawned. */
    public static Guardian start(ProcessId task, String marker) throws IOException {
        return start(Integer.toString(task.pid()), Long.toString(task.startTime()), marker, "exact");
    }

    /** Starts one guardian for every task whose marker is {@code prefix + "." + ...}. */
    public static Guardian startForPrefix(String prefix) throws IOException {
        return start("", "", prefix, "prefix");
    }

    private static Guardian start(String pid, String startTime, String marker, String mode) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script(), "supervisor-guardian", pid, startTime, marker, mode);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().remove(TaskTree.MARKER_VARIABLE);
        Process p = OwnedChildren.start(pb);
        return new Guardian((int) p.pid(), p.getOutputStream(), p);
    }

    /**
     * Takes over a guardian that the launcher script started before it exec'ed this JVM: its pipe
     * is the inherited descriptor {@code fd}.
     */
    public static Guardian attach(int pid, int fd) throws IOException {
        OwnedChildren.own(pid);
        // /proc/self/fd/N opens the same pipe again; the inherited descriptor itself stays open
        // until this JVM exits, which is what makes the guardian fire if it dies.
        return new Guardian(pid, new FileOutputStream("/proc/self/fd/" + fd), null);
    }

    /** Tells the guardian the task's cgroup leaf, to kill and remove should this JVM die. */
    public void leaf(String path) {
        if (path == null) {
            return;
        }
        try {
            pipe.write(("leaf " + path + "\n").getBytes(StandardCharsets.UTF_8));
            pipe.flush();
        } catch (IOException e) {
            // The guardian is gone; the task still has its other layers.
        }
    }

    /** The supervisor finished its work: tell the guardian to leave, and wait briefly for it. */
    public void release() {
        try {
            pipe.write("done\n".getBytes(StandardCharsets.US_ASCII));
            pipe.close();
        } catch (IOException e) {
            // The guardian is gone already; nothing to tell it.
        }
        try {
            if (process != null) {
                process.waitFor(1, TimeUnit.SECONDS);
            } else {
                ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(1, TimeUnit.SECONDS)
                        .exceptionally(t -> h).join());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static volatile String script;

    private static String script() {
        String s = script;
        if (s == null) {
            s = script = load();
        }
        return s;
    }

    private static String load() {
        try (InputStream in = Guardian.class.getResourceAsStream("guardian.sh")) {
            if (in == null) {
                throw new IllegalStateException("guardian.sh is missing from the supervisor jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
