package supervisor.runner;

/**
 * How a one-shot task ended.
 *
 * @param status its exit status N; 128+N when it died of signal N; 121 or 122 when its memory or
 *     CPU time limit ended it (as {@code supervisor run} reports them)
 * @param signal the signal it died of, 0 when it exited
 * @param timedOut true when the runner stopped it at its timeout, or at {@link TaskRunner#close()}
 *     (then status is how it ended)
 * @param nanos from the spawn to the end of the task and of everything it started
 * @param killedLeftovers processes the task left running, killed after it ended
 */
public record TaskOutcome(int status, int signal, boolean timedOut, long nanos, int killedLeftovers) {
}
