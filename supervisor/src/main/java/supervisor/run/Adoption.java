package supervisor.run;

/**
 * A task that the launcher script started before it exec'ed this JVM (the fast path: both JVMs
 * start at once instead of one after the other).
 *
 * @param pid the task's pid; a child of this JVM
 * @param guardianPid the guardian the launcher started
 * @param guardianFd this JVM's descriptor for the guardian's pipe
 * @param spawnEpochMicros when the task was spawned, in microseconds since the epoch
 * @param marker the task's SUPERVISOR_TASK value
 */
public record Adoption(int pid, int guardianPid, int guardianFd, long spawnEpochMicros, String marker) {

    /**
     * Kills the adopted task and its tree, and dismisses the guardian: for when the supervisor
     * refuses its command line after the launcher already started the task.
     */
    public void abandon() {
        supervisor.platform.ProcFs.id(pid).ifPresent(id -> {
            supervisor.terminate.TaskTree tree = new supervisor.terminate.TaskTree(id, marker, true,
                    p -> p == guardianPid);
            new supervisor.terminate.TreeTerminator(tree, p -> p == pid || p == guardianPid)
                    .kill(System.nanoTime() + 5_000_000_000L);
        });
        try {
            supervisor.terminate.Guardian.attach(guardianPid, guardianFd).release();
        } catch (java.io.IOException e) {
            // the guardian is gone already
        }
    }

    /** Parses the launcher's {@code PID:GUARDIAN_PID:GUARDIAN_FD:SPAWN_EPOCH_MICROS:MARKER}. */
    public static Adoption parse(String text) {
        String[] f = text.split(":", 5);
        if (f.length != 5) {
            throw new IllegalArgumentException("malformed --adopt value: " + text);
        }
        return new Adoption(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                Long.parseLong(f[3]), f[4]);
    }
}
