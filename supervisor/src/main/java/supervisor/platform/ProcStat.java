package supervisor.platform;

/**
 * The fields of /proc/PID/stat the supervisor needs.
 *
 * @param state one of R S D T t Z X I ... (see proc(5))
 * @param exitCode the wait status of a zombie (field 52), 0 while the process runs
 */
public record ProcStat(int pid, String comm, char state, int ppid, int pgrp, int session,
                       long startTime, int exitCode) {

    public ProcessId id() {
        return new ProcessId(pid, startTime);
    }

    /** Dead for every purpose that matters here: a zombie or past it. */
    public boolean isDead() {
        return state == 'Z' || state == 'X' || state == 'x';
    }

    /** Stopped by a signal, so it can no longer fork. */
    public boolean isStopped() {
        return state == 'T' || state == 't';
    }
}
