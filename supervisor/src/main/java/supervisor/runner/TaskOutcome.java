package supervisor.runner;

/**
 * How a one-shot task ended.
 *
 * @param status its exit status, or 128+N when it died of signal N
 * @param signal the signal it died of, 0 when it exited
 * @param timedOut true when the runner stopped it at its timeout (then status is how it ended)
 * @param nanos from the spawn to the end of the task and of everything it started
 * @param killedLeftovers processes the task left running, killed after it ended
 */
public record TaskOutcome(int status, int signal, boolean timedOut, long nanos, int killedLeftovers) {
}
