package supervisor.cli.run;

import java.nio.file.Path;
import supervisor.cli.service.HealthFile;
import supervisor.cli.service.Readiness;
import supervisor.limits.Limits;
import supervisor.process.ProcessSpec;

/**
 * Everything {@code supervisor run} was asked to do.
 *
 * @param jar the task's jar, checked before anything starts; null for a program
 * @param spec the task's process: command, environment, working directory, limits, mechanism; for
 *     a program, its name as given, found in PATH before anything starts
 * @param timeoutNanos 0 for no timeout
 * @param graceNanos how long a stopped task has between SIGTERM and SIGKILL
 * @param stopSignal the signal that asks the task to stop
 * @param wholeTree the kill mode: the stop signal to every process of the task ({@code tree}), or
 *     to the task and its process group only ({@code task})
 * @param readiness when the task counts as ready, and healthy ({@code --ready})
 * @param readyTimeoutNanos how long it may take to be ready before it is stopped (0: no limit)
 * @param dumpDir where thread dumps go, or null for none ({@code --no-thread-dump})
 * @param waitDescendants what the task leaves running when it exits is waited for, not stopped
 *     ({@code --wait-descendants})
 * @param healthFile the health file, opened and checked, that the run keeps and removes at its
 *     end ({@code --health-file}); null for none
 */
public record RunOptions(Path jar, ProcessSpec spec, long timeoutNanos, long graceNanos, int stopSignal,
                         boolean wholeTree, Readiness readiness, long readyTimeoutNanos, Path dumpDir,
                         boolean waitDescendants, HealthFile healthFile) {
    /** Ready at start, no thread dumps, leftovers stopped, no health file. */
    public RunOptions(Path jar, ProcessSpec spec, long timeoutNanos, long graceNanos, int stopSignal, boolean wholeTree) {
        this(jar, spec, timeoutNanos, graceNanos, stopSignal, wholeTree, Readiness.START, 0, null, false, null);
    }

    /** A program (supervisor run -- PROGRAM ARGS), not a jar. */
    public boolean program() {
        return jar == null;
    }

    /** The task as its messages name it: the jar's file name, or the program as given. */
    public String taskName() {
        return jar != null ? String.valueOf(jar.getFileName()) : spec.command().get(0);
    }

    public Limits limits() {
        return spec.limits();
    }

    StopLoop.Rules rules() {
        // Ready at start cannot be late.
        long readyTimeout = readiness.kind() == Readiness.Kind.START ? 0 : readyTimeoutNanos;
        return new StopLoop.Rules(timeoutNanos, graceNanos, stopSignal, wholeTree, spec.limits().maxOutputBytes(),
                readyTimeout, readiness.toString(), dumpDir != null, waitDescendants);
    }
}
