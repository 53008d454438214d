package supervisor.run;

import java.nio.file.Path;
import supervisor.limits.Limits;
import supervisor.process.ProcessSpec;

/**
 * Everything {@code supervisor run} was asked to do.
 *
 * @param jar the task's jar, checked before anything starts
 * @param spec the task's process: command, environment, working directory, limits, mechanism
 * @param timeoutNanos 0 for no timeout
 * @param graceNanos how long a stopped task has between SIGTERM and SIGKILL
 */
public record RunOptions(Path jar, ProcessSpec spec, long timeoutNanos, long graceNanos) {
    public Limits limits() {
        return spec.limits();
    }
}
