package supervisor.limits;

import java.util.Locale;

/**
 * A limit that ended a task: what reports and exceptions call it, the exit status it gives the
 * run, and the words that open a message about it. Output and process limits do not end a task
 * through its own death (the output cap is a stop the supervisor begins; the process limit only
 * refuses forks), so they are not here.
 */
public enum LimitHit {
    MEMORY, CPU;

    /** "memory", "cpu": as a report's {@code limits_hit} and {@code limitExceeded()} name it. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The exit status it gives a run: {@link Limits#MEMORY_EXCEEDED}, {@link Limits#CPU_EXCEEDED}. */
    public int status() {
        return this == MEMORY ? Limits.MEMORY_EXCEEDED : Limits.CPU_EXCEEDED;
    }

    /** "memory limit exceeded", "CPU time limit exceeded". */
    public String words() {
        return this == MEMORY ? "memory limit exceeded" : "CPU time limit exceeded";
    }
}
