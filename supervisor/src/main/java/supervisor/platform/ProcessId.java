package supervisor.platform;

/**
 * A process as the kernel knows it for its whole life: a pid alone can be reused once the process
 * is reaped, a pid with its start time (clock ticks after boot, field 22 of /proc/PID/stat) cannot.
 * Every signal the supervisor sends is aimed at a ProcessId and checked against /proc first.
 */
public record ProcessId(int pid, long startTime) {
    @Override
    public String toString() {
        return "pid " + pid;
    }
}
