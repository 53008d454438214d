package supervisor.limits;

/**
 * A limit that ended a task: what reports and exceptions call it, the exit status it gives the
 * run, and the words that open a message about it. Output and process limits do not end a task
 * through its own death (the output cap is a stop the supervisor begins; the process limit only
 * refuses forks), so they are not here.
 */
public enum LimitHit {
    MEMORY("memory", Limits.MEMORY_EXCEEDED, "memory limit exceeded"),
    CPU("cpu", Limits.CPU_EXCEEDED, "CPU time limit exceeded");

    private final String word;
    private final int status;
    private final String words;

    LimitHit(String word, int status, String words) {
        this.word = word;
        this.status = status;
        this.words = words;
    }

    /** "memory", "cpu": as a report's {@code limits_hit} and {@code limitExceeded()} name it. */
    public String word() {
        return word;
    }

    /** The exit status it gives a run: {@link Limits#MEMORY_EXCEEDED}, {@link Limits#CPU_EXCEEDED}. */
    public int status() {
        return status;
    }

    /** "memory limit exceeded", "CPU time limit exceeded". */
    public String words() {
        return words;
    }
}
