package supervisor.cli.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import supervisor.launch.ExitStatus;
import supervisor.limits.Usage;
import supervisor.platform.Signal;
import supervisor.terminate.KillReport;

/**
 * The report of {@code supervisor run}: the task's command and pid, every signal the supervisor
 * sent and when, what it killed, what the tree consumed, which limits it hit, its crash log. The
 * session and its stop loop record facts here as they happen; see {@code docs/report.md}.
 */
public final class RunReport extends Report {
    /** The task ended by itself (any status). */
    public static final String EXITED = "exited";
    /** The task died of a signal the supervisor did not send (a JVM crash, a kill from elsewhere). */
    public static final String CRASH = "crash";
    /** The supervisor got SIGINT, SIGTERM or SIGHUP and stopped the task. */
    public static final String SIGNAL = "signal";
    /** The timeout expired and the supervisor stopped the task. */
    public static final String TIMEOUT = "timeout";
    /** The task was not ready within --ready-timeout and the supervisor stopped it. */
    public static final String NOT_READY = "not_ready";
    /** A memory, CPU time or output limit ended the task. */
    public static final String LIMIT = "limit";

    /** Why a signal was sent, as {@code signals_sent[].reason} says it. */
    public enum Reason {
        TIMEOUT, NOT_READY, SIGNAL, OUTPUT_LIMIT, OUTPUT_FAILED, LEFTOVERS, GRACE_EXPIRED, SECOND_SIGNAL, CLEANUP;

        String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private List<String> command; // guarded by this
    private int pid = -1;
    private long spawnedNanos;
    private String mechanism;
    private final List<Map<String, Object>> signals = new ArrayList<>();
    private long killed;
    private long survivors;
    private ExitStatus taskEnd;
    private Usage usage = Usage.UNKNOWN;
    private final List<String> limitsHit = new ArrayList<>();
    private Path hsErr;
    private Path threadDump;

    public RunReport(List<String> argv) {
        super("run", argv);
    }

    /** The task's command, as given (java, JVM options, -jar, the jar, its arguments). */
    public synchronized void command(List<String> command) {
        this.command = List.copyOf(command);
    }

    /** The task started: its pid, and the moment ({@link System#nanoTime()}) signal times count from. */
    public synchronized void spawned(int pid, long nanoTime) {
        this.pid = pid;
        this.spawnedNanos = nanoTime;
    }

    /** "cgroup", "tree" or "portable". */
    public synchronized void mechanism(String mechanism) {
        this.mechanism = mechanism;
    }

    /**
     * {@code signal} went to {@code processes} processes, sent from {@code sentAt} (a
     * {@link System#nanoTime()}); nothing is recorded when it reached none.
     */
    public synchronized void signalled(int signal, int processes, Reason reason, long sentAt) {
        if (processes <= 0) {
            return;
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("signal", Signal.name(signal));
        s.put("at_seconds", seconds(sentAt - spawnedNanos));
        s.put("processes", processes);
        s.put("reason", reason.json());
        signals.add(s);
    }

    /** A kill of the tree, begun at {@code sentAt}: SIGKILL to what it killed, and what survived it. */
    public synchronized void killed(KillReport kill, Reason reason, long sentAt) {
        if (kill == null) {
            return;
        }
        signalled(Signal.KILL, kill.killed(), reason, sentAt);
        killed += kill.killed();
        survivors += kill.survivors().size();
    }

    /** How the task's own process ended, as its parent saw it; the first one told is kept. */
    public synchronized void taskEnded(ExitStatus status) {
        if (taskEnd == null) {
            this.taskEnd = status;
        }
    }

    public synchronized void usage(Usage usage) {
        this.usage = usage;
    }

    /** "memory", "cpu", "output" or "processes"; each at most once. */
    public synchronized void limitHit(String limit) {
        if (!limitsHit.contains(limit)) {
            limitsHit.add(limit);
        }
    }

    public synchronized void hsErr(Path log) {
        this.hsErr = log;
    }

    /** The thread dump the supervisor had the task write before it was stopped (none yet: null). */
    public synchronized void threadDump(Path dump) {
        this.threadDump = dump;
    }

    @Override
    protected synchronized void body(Map<String, Object> json) {
        json.put("command", command);
        json.put("pid", pid < 0 ? null : pid);
        json.put("task_status", taskEnd == null ? null : taskEnd.code());
        int signal = taskEnd == null ? 0 : taskEnd.likelySignal();
        json.put("signal", signal > 0 && signal < 65 ? Signal.name(signal) : null);
        json.put("mechanism", mechanism);
        json.put("signals_sent", List.copyOf(signals));
        json.put("processes_killed", killed);
        json.put("survivors", survivors);
        json.put("cpu_seconds", usage.cpuNanos() < 0 ? null : seconds(usage.cpuNanos()));
        json.put("cpu_source", usage.cpuSource());
        json.put("memory_peak_bytes", usage.memoryPeakBytes() < 0 ? null : usage.memoryPeakBytes());
        json.put("memory_source", usage.memorySource());
        json.put("limits_hit", List.copyOf(limitsHit));
        json.put("hs_err", hsErr == null ? null : hsErr.toString());
        json.put("thread_dump", threadDump == null ? null : threadDump.toString());
    }
}
