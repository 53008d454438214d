package supervisor.launch;

import supervisor.platform.Signal;

/**
 * How a process ended.
 *
 * @param code the exit code when it exited, or 128+N when it died of signal N
 * @param signal the signal it died of; 0 when it exited; -1 when unknown (the JDK reports a
 *     death by signal N as 128+N, the same as an exit with that code)
 */
public record ExitStatus(int code, int signal) {

    /** From a raw wait(2) status, as /proc/PID/stat field 52 holds it. */
    public static ExitStatus fromWaitStatus(int status) {
        int termsig = status & 0x7f;
        if (termsig == 0) {
            return new ExitStatus((status >> 8) & 0xff, 0);
        }
        return new ExitStatus(128 + termsig, termsig);
    }

    /**
     * From {@link Process#exitValue()}, when the kernel's wait status is not known (see
     * {@code OwnedChildren.exitStatus}): 128+N is either.
     */
    public static ExitStatus fromJdk(int value) {
        return new ExitStatus(value, value > 128 && value < 128 + 65 ? -1 : 0);
    }

    /** The signal it most likely died of, or 0. */
    public int likelySignal() {
        return signal == -1 ? code - 128 : signal;
    }

    public String describe() {
        if (signal > 0) {
            return "died of " + Signal.name(signal);
        }
        if (signal == -1) {
            return "ended with status " + code + " (" + Signal.name(code - 128) + ", or an exit with that status)";
        }
        return "exited with status " + code;
    }
}
