package supervisor.pool;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The worker JVM running the call died: a crash in native code, {@code System.exit} in the task,
 * the OOM killer, a signal from outside. The message says how it ended, names the hs_err file when
 * the JVM wrote one, and quotes the last lines of its stderr; the same facts are fields.
 */
public final class WorkerCrashedException extends PoolException {
    private static final long serialVersionUID = 1L;
    private final int exitStatus;
    private final int signal;
    private final String crashLog;
    private final String limit;

    WorkerCrashedException(String message, int exitStatus, int signal, Path crashLog, String limit) {
        super(message);
        this.exitStatus = exitStatus;
        this.signal = signal;
        this.crashLog = crashLog == null ? null : crashLog.toString();
        this.limit = limit;
    }

    /** The worker's exit status as the JDK reports it (128+N for signal N), or -1 when unknown. */
    public int exitStatus() {
        return exitStatus;
    }

    /**
     * The signal that most likely ended the worker (9 for SIGKILL, 6 for SIGABRT...), or 0 when it
     * exited by itself or the status is unknown. The JDK cannot tell an exit with 128+N from a death
     * by signal N.
     */
    public int signal() {
        return signal;
    }

    /** The crash log ({@code hs_err_pidN.log}) the worker JVM wrote, if it wrote one. */
    public Optional<Path> crashLog() {
        return Optional.ofNullable(crashLog).map(Path::of);
    }

    /**
     * {@code "memory"} or {@code "cpu"} when a limit of {@link PoolSettings} ended the worker, as
     * its cgroup or its JVM said (never guessed from the status alone); else empty.
     */
    public Optional<String> limitExceeded() {
        return Optional.ofNullable(limit);
    }
}
