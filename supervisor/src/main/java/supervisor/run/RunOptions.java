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
 * @param stopSignal the signal that asks the task to stop
 * @param wholeTree the kill mode: the stop signal to every process of the task ({@code tree}), or
 *     to the task and its process group only ({@code task})
 */
public record RunOptions(Path jar, ProcessSpec spec, long timeoutNanos, long graceNanos, int stopSignal,
                         boolean wholeTree) {
    public Limits limits() {
        return spec.limits();
    }

    StopLoop.Rules rules() {
        return new StopLoop.Rules(timeoutNanos, graceNanos, stopSignal, wholeTree, spec.limits().maxOutputBytes());
    }
}
