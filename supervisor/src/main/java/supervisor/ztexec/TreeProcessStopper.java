package supervisor.ztexec;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.zeroturnaround.exec.stop.ProcessStopper;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;
import supervisor.terminate.KillReport;
import supervisor.terminate.TaskTree;
import supervisor.terminate.TreeTerminator;

/**
 * A zt-exec {@link ProcessStopper} that stops the whole tree, not only the direct child (which
 * is all zt-exec's default does, and why its users see grandchildren survive): SIGTERM to the
 * process and its group, a grace period, then SIGSTOP/rescan/SIGKILL over every descendant.
 *
 * <p>Descendants that double-fork away from their parent are found too when the process was
 * started with this stopper's marker in its environment:
 * <pre>{@code
 * TreeProcessStopper stopper = new TreeProcessStopper(Duration.ofSeconds(5));
 * new ProcessExecutor().command("...").environment(stopper.markerVariable(), stopper.marker())
 *         .timeout(30, TimeUnit.SECONDS).stopper(stopper).execute();
 * }</pre>
 * One stopper per process. Needs Linux (and zt-exec on the class path: it is an optional
 * dependency of supervisor).
 */
public final class TreeProcessStopper implements ProcessStopper {
    private final long graceNanos;
    private final String marker = UUID.randomUUID().toString();
    private volatile KillReport lastReport; // written once the kill has ended

    public TreeProcessStopper(Duration grace) {
        this.graceNanos = grace.toNanos();
    }

    /** The environment variable to give the process, with {@link #marker()} as its value. */
    public String markerVariable() {
        return TaskTree.MARKER_VARIABLE;
    }

    public String marker() {
        return marker;
    }

    /** What the last {@link #stop} killed, or null. */
    public KillReport lastReport() {
        return lastReport;
    }

    @Override
    public void stop(Process process) {
        int pid = (int) process.pid();
        ProcessId id = ProcFs.id(pid).orElse(null);
        if (id == null) {
            return;
        }
        // zt-exec's child shares this JVM's session, so the tree is its descendants and marker.
        TreeTerminator tree = new TreeTerminator(new TaskTree(id, marker, false, p -> false), p -> p == pid);
        tree.terminate();
        try {
            process.waitFor(graceNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lastReport = tree.kill(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
    }
}
