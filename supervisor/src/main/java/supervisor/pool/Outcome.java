package supervisor.pool;

/** How a call ended, for the statistics; {@link #label} as {@code supervisor pool} writes its status. */
enum Outcome {
    SUCCEEDED("ok"), TASK_FAILED("failed"), TIMED_OUT("timeout"), CRASHED("crashed"), PROTOCOL("protocol"),
    CANCELLED("cancelled");

    final String label;

    Outcome(String label) {
        this.label = label;
    }
}
