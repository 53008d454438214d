package supervisor.cli.run;

import supervisor.launch.LaunchException;

/**
 * Whether the command line's stdout is usable. A caller that closed it ({@code >&-}) would have
 * the supervisor JVM's first opened file take descriptor 1, so the launcher makes it /dev/null and
 * says so in {@code -Dsupervisor.stdout.closed}; what needs stdout then refuses to start here, where
 * the options are known (a pool writing its answers to {@code --output FILE} does not need it).
 */
public final class Stdout {
    /** Set by scripts/supervisor when the caller closed descriptor 1. */
    static final String CLOSED_PROPERTY = "supervisor.stdout.closed";

    private Stdout() {
    }

    /**
     * @param lost what would be lost, for the message ("the task's output")
     * @param instead what to do instead, for the message ("to discard it: >/dev/null")
     * @throws LaunchException status 125 when the caller closed stdout
     */
    public static void requireOpen(String lost, String instead) throws LaunchException {
        if (Boolean.getBoolean(CLOSED_PROPERTY)) {
            throw LaunchException.supervisorFailed("stdout is closed: " + lost + " would be lost (" + instead + ")");
        }
    }
}
