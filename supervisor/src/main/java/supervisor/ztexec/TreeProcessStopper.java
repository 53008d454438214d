package supervisor.ztexec;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.listener.ProcessListener;
import org.zeroturnaround.exec.stop.ProcessStopper;
import supervisor.log.Log;
import supervisor.process.Names;
import supervisor.process.StopPolicy;
import supervisor.process.SupervisedProcess;
import supervisor.platform.ProcessId;
import supervisor.terminate.KillReport;
import supervisor.terminate.TaskTree;

/**
 * A zt-exec {@link ProcessStopper} that stops the whole tree, not only the direct child (which
 * is all zt-exec's default does, and why its users see grandchildren survive): SIGTERM to the
 * process, a grace period, then SIGSTOP/rescan/SIGKILL over every descendant. The process is
 * taken in charge as a supervised process of the library's own: the same stop, kill and release
 * as every process the supervisor starts.
 *
 * <p>Best, let the stopper set the process up ({@link #applyTo}): it then runs in a cgroup leaf
 * of its own from its first instruction where the machine allows one (root, or a delegated
 * cgroup2 subtree), so that nothing it starts escapes, however it hides; and whatever it leaves
 * running when it ends is killed then, not only at a timeout:
 * <pre>{@code
 * TreeProcessStopper stopper = new TreeProcessStopper(Duration.ofSeconds(5));
 * stopper.applyTo(new ProcessExecutor().command("...").timeout(30, TimeUnit.SECONDS)).execute();
 * }</pre>
 * Without a cgroup, or when only {@link ProcessExecutor#stopper} is set, the tree is the
 * process's descendants and every process with the stopper's marker in its environment, which
 * finds those that double-fork away from their parent, not those that also clear their
 * environment:
 * <pre>{@code
 * new ProcessExecutor().command("...").environment(stopper.markerVariable(), stopper.marker())
 *         .timeout(30, TimeUnit.SECONDS).stopper(stopper).execute();
 * }</pre>
 * One stopper per process. Needs Linux (and zt-exec on the class path: it is an optional
 * dependency of supervisor).
 */
public final class TreeProcessStopper implements ProcessStopper {
    private final long graceNanos;
    private final String marker = Names.marker();
    private volatile KillReport lastReport; // written once the kill has ended
    private volatile SupervisedProcess prepared; // set up by applyTo's listener

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
    public StopReport lastReport() {
        KillReport r = lastReport;
        return r == null ? null : new StopReport(r.killed(), Duration.ofNanos(r.nanos()),
                r.survivors().stream().map(ProcessId::pid).map(Long::valueOf).toList());
    }

    /**
     * Sets {@code executor} up for this stopper: the marker in its environment, this stopper, and
     * a listener that contains the process from its start (a cgroup leaf where one can be had:
     * the command is run through a short {@code sh} that joins it, then execs the command) and
     * kills what it leaves and releases its leaf when it ends.
     *
     * @return {@code executor}
     */
    public ProcessExecutor applyTo(ProcessExecutor executor) {
        return executor.environment(markerVariable(), marker).stopper(this).addListener(new Containment());
    }

    private final class Containment extends ProcessListener {
        private List<String> command; // as the user gave it: an executor run again is wrapped once

        @Override
        public void beforeStart(ProcessExecutor executor) {
            if (command == null) {
                command = List.copyOf(executor.getCommand());
            }
            SupervisedProcess p = SupervisedProcess.prepareAdoption(marker, "process");
            prepared = p;
            executor.command(p.wrap(command));
        }

        @Override
        public void afterStart(Process process, ProcessExecutor executor) {
            SupervisedProcess p = prepared.take(process);
            // At the process's end, not at afterStop: zt-exec reads its output to EOF first, and
            // what the process left running may hold that pipe open for ever.
            process.onExit().thenRunAsync(p::release);
        }

        @Override
        public void afterStop(Process process) {
            SupervisedProcess p = prepared;
            if (p != null) {
                p.release(); // kills what the process left running, removes its leaf
            }
        }
    }

    @Override
    public void stop(Process process) {
        SupervisedProcess own = prepared;
        SupervisedProcess p = own != null && own.process() == process ? own
                : SupervisedProcess.adopt(process, marker, "process");
        try {
            StopPolicy.Begun begun = StopPolicy.sigterm(graceNanos).begin(p::terminate, "pid " + p.pid(), Log::warn);
            try {
                process.waitFor(begun.killAt() - System.nanoTime(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lastReport = p.kill();
        } finally {
            p.release();
        }
    }
}
