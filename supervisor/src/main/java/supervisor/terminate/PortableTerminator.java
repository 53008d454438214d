package supervisor.terminate;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import supervisor.platform.ProcessId;

/**
 * The fallback where there is no /proc and no native layer (not Linux): the JDK's
 * {@link ProcessHandle#descendants()}. It sees only processes still linked to the task by parent
 * pid, so a child that outlives its parent, or one double-forked away, escapes it. Used only with
 * a warning.
 */
public final class PortableTerminator implements Terminator {
    private final ProcessId task;

    public PortableTerminator(ProcessId task) {
        this.task = task;
    }

    @Override
    public String mechanism() {
        return "ProcessHandle descendants (portable fallback: escapees are not found)";
    }

    /** ProcessHandle can send SIGTERM only: other stop signals are sent as SIGTERM here. */
    @Override
    public int terminate(int signal, boolean wholeTree) {
        int[] sent = {0};
        ProcessHandle.of(task.pid()).ifPresent(h -> {
            h.descendants().forEach(d -> sent[0] += d.destroy() ? 1 : 0);
            sent[0] += h.destroy() ? 1 : 0;
        });
        return sent[0];
    }

    @Override
    public KillReport kill(long deadlineNanos) {
        long start = System.nanoTime();
        int killed = 0;
        List<ProcessHandle> alive = members();
        while (!alive.isEmpty()) {
            for (ProcessHandle h : alive) {
                if (h.destroyForcibly()) {
                    killed++;
                }
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                List<ProcessId> survivors = new ArrayList<>();
                alive.forEach(h -> survivors.add(new ProcessId((int) h.pid(), -1)));
                return new KillReport(killed, System.nanoTime() - start, survivors);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            alive = members();
        }
        return new KillReport(killed, System.nanoTime() - start, List.of());
    }

    private List<ProcessHandle> members() {
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.of(task.pid()).ifPresent(h -> {
            h.descendants().filter(ProcessHandle::isAlive).forEach(out::add);
            if (h.isAlive()) {
                out.add(h);
            }
        });
        return out;
    }

    /** Start times are unknown here (-1): there is no /proc to read them from. */
    @Override
    public List<ProcessId> processes() {
        return members().stream().map(h -> new ProcessId((int) h.pid(), -1)).toList();
    }

    @Override
    public boolean empty() {
        return members().isEmpty();
    }

    @Override
    public void close() {
    }
}
