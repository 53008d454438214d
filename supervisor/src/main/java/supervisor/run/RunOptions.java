package supervisor.run;

import supervisor.launch.TaskSpec;
import supervisor.limits.Limits;
import supervisor.terminate.Mechanism;

/**
 * Everything {@code supervisor run} was asked to do.
 *
 * @param timeoutNanos 0 for no timeout
 * @param graceNanos how long a stopped task has between SIGTERM and SIGKILL
 * @param adoption non-null when the launcher already started the task
 * @param tempWorkdir run the task in a fresh private directory, removed afterwards
 * @param keepWorkdir keep that directory
 * @param limits what the task may use
 */
public record RunOptions(TaskSpec task, long timeoutNanos, long graceNanos, Mechanism mechanism,
                         Adoption adoption, boolean tempWorkdir, boolean keepWorkdir, Limits limits) {
}
