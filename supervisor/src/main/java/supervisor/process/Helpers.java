package supervisor.process;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import supervisor.log.Log;

/**
 * The programs the spawn relies on, found once, by absolute path, from the supervisor's own
 * PATH and then the system's directories: never through a task's environment, which a task's
 * {@code --env PATH=...} may have emptied.
 */
final class Helpers {
    /** POSIX guarantees a shell here. */
    static final String SH = "/bin/sh";
    /** For the guardian, whatever PATH the supervisor was given. */
    static final String SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final Optional<String> SETSID = find("setsid");
    private static final Optional<String> SETPRIV = find("setpriv");
    private static volatile boolean warned;

    private Helpers() {
    }

    /** util-linux's setsid: the task leads a session and group of its own. */
    static Optional<String> setsid() {
        return SETSID;
    }

    /** util-linux's setpriv: the parent-death signal, which Java cannot set between fork and exec. */
    static Optional<String> setpriv() {
        return SETPRIV;
    }

    /** Says once per JVM what is missing and what that costs. */
    static void warnIfMissing() {
        if (warned || SETSID.isPresent() && SETPRIV.isPresent()) {
            return;
        }
        warned = true;
        StringBuilder b = new StringBuilder("util-linux is not installed completely:");
        if (SETSID.isEmpty()) {
            b.append(" no setsid (tasks share the supervisor's process group; they are still found by marker and cgroup)");
        }
        if (SETPRIV.isEmpty()) {
            b.append(SETSID.isEmpty() ? ";" : "").append(" no setpriv (task JVMs get no parent-death signal;"
                    + " the guardian still kills them should the supervisor die)");
        }
        Log.warn(b.toString());
    }

    static Optional<String> find(String name) {
        String path = System.getenv("PATH");
        for (String dirs : new String[] {path == null ? "" : path, SYSTEM_PATH}) {
            for (String dir : dirs.split(File.pathSeparator)) {
                if (dir.isEmpty() || !dir.startsWith("/")) {
                    continue; // a relative PATH entry depends on the directory the task runs in
                }
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                    return Optional.of(candidate.toString());
                }
            }
        }
        return Optional.empty();
    }
}
