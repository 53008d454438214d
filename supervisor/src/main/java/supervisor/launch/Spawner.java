package supervisor.launch;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import supervisor.terminate.OwnedChildren;
import supervisor.terminate.TaskTree;

/**
 * Starts a task JVM so that it can be found and killed whole:
 * {@code setsid setpriv --pdeathsig KILL -- java ...}. Both tools (util-linux) exec in place, so
 * the pid the JDK reports is the task JVM's own: setsid makes it the leader of a new session and
 * process group (a JDK child is never a group leader, so setsid does not fork), and setpriv sets
 * the parent-death signal that Java cannot set between fork and exec.
 *
 * <p>The parent-death signal fires when the <em>thread</em> that spawned the task ends, so spawn
 * only from a thread that lives as long as the task (the main thread of {@code run}, a pool's
 * dedicated spawner thread).
 */
public final class Spawner {
    private static final Optional<String> SETSID = which("setsid");
    private static final Optional<String> SETPRIV = which("setpriv");

    private Spawner() {
    }

    /** The full command: wrappers, then the task's java command. */
    public static List<String> command(TaskSpec spec) {
        return wrap(spec.javaCommand());
    }

    /** {@code command} behind the session and parent-death wrappers. */
    public static List<String> wrap(List<String> command) {
        List<String> cmd = new ArrayList<>();
        SETSID.ifPresent(cmd::add);
        if (SETPRIV.isPresent()) {
            cmd.add(SETPRIV.get());
            cmd.add("--pdeathsig");
            cmd.add("KILL");
            cmd.add("--");
        }
        cmd.addAll(command);
        return cmd;
    }

    /** What is missing for full containment, for a warning; empty when nothing is. */
    public static List<String> missingTools() {
        List<String> missing = new ArrayList<>();
        if (SETSID.isEmpty()) {
            missing.add("setsid (the task will share the supervisor's process group)");
        }
        if (SETPRIV.isEmpty()) {
            missing.add("setpriv (the task JVM will not get a parent-death signal)");
        }
        return missing;
    }

    /**
     * Starts the task with the supervisor's stdin, stdout and stderr: the task reads and writes
     * them directly, so its output reaches the caller byte for byte, in order, at full speed.
     *
     * @param marker the value of SUPERVISOR_TASK in the task's environment
     */
    public static Process start(TaskSpec spec, String marker) throws LaunchException {
        return start(spec, marker, List.of(), false);
    }

    /**
     * @param limitWrapper a command to put between the wrappers and java (prlimit ...)
     * @param pipeOutput give the task pipes for stdout and stderr instead of the supervisor's own
     */
    public static Process start(TaskSpec spec, String marker, List<String> limitWrapper, boolean pipeOutput)
            throws LaunchException {
        checkJava(spec.java());
        List<String> inner = new ArrayList<>(limitWrapper);
        inner.addAll(spec.javaCommand());
        ProcessBuilder pb = new ProcessBuilder(wrap(inner)).inheritIO();
        if (pipeOutput) {
            pb.redirectOutput(ProcessBuilder.Redirect.PIPE).redirectError(ProcessBuilder.Redirect.PIPE);
        }
        spec.applyEnvironment(pb.environment());
        pb.environment().put(TaskTree.MARKER_VARIABLE, marker);
        if (spec.workdir() != null) {
            pb.directory(spec.workdir().toFile());
        }
        try {
            return OwnedChildren.start(pb);
        } catch (IOException e) {
            throw new LaunchException(125, "cannot start " + spec.java() + ": " + e.getMessage(), e);
        }
    }

    /** A java that cannot be executed is the supervisor's failure (125), not the task's. */
    public static void checkJava(String java) throws LaunchException {
        Path path = java.contains("/") ? Path.of(java) : which(java).map(Path::of).orElse(null);
        if (path == null || !Files.exists(path)) {
            throw new LaunchException(125, "cannot start java: " + java + " not found");
        }
        if (Files.isDirectory(path) || !Files.isExecutable(path)) {
            throw new LaunchException(125, "cannot start java: " + java + " is not executable");
        }
    }

    static Optional<String> which(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            path = "/usr/bin:/bin";
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }
}
