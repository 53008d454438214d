package supervisor.pool;

/** How a call ended, for the statistics. */
enum Outcome { SUCCEEDED, TASK_FAILED, TIMED_OUT, CRASHED, PROTOCOL, CANCELLED }
