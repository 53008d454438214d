package supervisor.process;

import java.nio.file.Path;
import java.util.Optional;
import supervisor.launch.ExitStatus;
import supervisor.limits.LimitHit;
import supervisor.platform.Signal;

/**
 * How a supervised process ended, decoded once: its exit status (code, or the signal it died
 * of), the limit that ended it if one did, and the crash log its JVM wrote if it wrote one; with
 * the words every message about it uses. {@code run}, the pool, the task runner and the zt-exec
 * stopper read this one value rather than decode the status again. A value, it reads nothing
 * itself but the crash log's header ({@link #withCrashLog}).
 *
 * @param status the exit status, or null when it has not ended (or its end is not known)
 * @param limit the limit that ended it (from {@code LimitEnforcer.verdict}), or null
 * @param crashLogPath the JVM's {@code hs_err_pidN.log}, or null
 * @param crashLog what that log's header says, or null when there is none or it cannot be read
 */
public record Ending(ExitStatus status, LimitHit limit, Path crashLogPath, CrashLog crashLog) {

    /** An ending with no crash log (yet: see {@link #withCrashLog}). */
    public static Ending of(ExitStatus status, LimitHit limit) {
        return new Ending(status, limit, null, null);
    }

    /** This ending with the crash log found for it, read now; the same when there is none. */
    public Ending withCrashLog(Optional<Path> path) {
        return path.map(p -> new Ending(status, limit, p, CrashLog.read(p).orElse(null))).orElse(this);
    }

    /** The signal it most likely died of, or 0 (see {@link ExitStatus#likelySignal()}). */
    public int signal() {
        return status == null ? 0 : status.likelySignal();
    }

    /** Whether it died of a signal (or, from the JDK's status, ended with 129-192 as if it had). */
    public boolean bySignal() {
        int signal = signal();
        return signal > 0 && signal < 65;
    }

    /** "memory", "cpu", or null: the limit as reports and exceptions name it. */
    public String limitWord() {
        return limit == null ? null : limit.word();
    }

    /** The exit status the limit gives a run (121, 122), or 0 when no limit ended it. */
    public int limitStatus() {
        return limit == null ? 0 : limit.status();
    }

    /** The run's status when no stop decides it: the limit's, else the process's own code. */
    public int code() {
        return limit == null ? status.code() : limit.status();
    }

    /** "exited with status 3", "died of SIGKILL", ...; "has not ended" without a status. */
    public String describe() {
        return status == null ? "has not ended" : status.describe();
    }

    /** "memory limit exceeded: ", "CPU time limit exceeded: ", or "": what opens a message about it. */
    public String limitPrefix() {
        return limit == null ? "" : limit.words() + ": ";
    }

    /**
     * What the crash was, in the crash log's words where it has some ("SIGSEGV in libfoo.so
     * (foo_decode+0x1c)": the JVM aborts after writing it, so the log names the real signal),
     * else the signal's name.
     */
    public String crashWords() {
        return crashLog != null ? crashLog.describe() : Signal.name(signal());
    }

    /**
     * What a message about the process says of its crash log: ": crashed with SIGSEGV in ...; the
     * JVM wrote /path" ("; the JVM wrote /path" when the log cannot be read), or "" without one.
     */
    public String crashLogSuffix() {
        if (crashLogPath == null) {
            return "";
        }
        return (crashLog != null ? ": crashed with " + crashLog.describe() : "") + "; the JVM wrote " + crashLogPath;
    }

    /**
     * The line a run writes about a task that died of a signal nobody sent: "crashed: SIGSEGV in
     * ... (status 134, SIGABRT); the JVM wrote /path" with a crash log, else "died of SIGSEGV, a
     * signal the supervisor did not send" (after "task ").
     */
    public String crashLine() {
        if (crashLogPath != null) {
            return "crashed: " + crashWords() + " (status " + status.code() + ", " + Signal.name(signal())
                    + "); the JVM wrote " + crashLogPath;
        }
        return describe() + ", a signal the supervisor did not send";
    }
}
