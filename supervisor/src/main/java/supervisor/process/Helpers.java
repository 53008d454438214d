package supervisor.process;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import supervisor.launch.LaunchException;

/**
 * The programs the spawn relies on, found once, by absolute path, from the supervisor's own
 * PATH and then the system's directories: never through a task's environment, which a task's
 * {@code --env PATH=...} may have emptied.
 */
public final class Helpers {
    /** POSIX guarantees a shell here. */
    static final String SH = "/bin/sh";
    /** For the guardian, whatever PATH the supervisor was given. */
    static final String SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final Optional<String> SETSID = find("setsid");
    private static final Optional<String> SETPRIV = find("setpriv");

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

    /**
     * The helpers every spawn needs, or a 125 naming what is missing and where it comes from:
     * found before anything starts, never through the task's environment.
     */
    static void require() throws LaunchException {
        if (SETSID.isEmpty() || SETPRIV.isEmpty()) {
            String missing = SETSID.isEmpty() && SETPRIV.isEmpty() ? "setsid and setpriv" : SETSID.isEmpty() ? "setsid" : "setpriv";
            throw LaunchException.supervisorFailed("cannot start a task: " + missing + " not found on the"
                    + " supervisor's PATH or in " + SYSTEM_PATH + " (install util-linux)");
        }
    }

    /** A helper program by name, from the supervisor's PATH then the system's directories. */
    public static Optional<String> find(String name) {
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
