package supervisor.launch;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import supervisor.log.Printable;

/**
 * Finds the program of a command task as {@code execvp} (and so GNU {@code timeout}) does: a name
 * with a slash is a path; any other is looked for in each directory of PATH in turn (an empty
 * entry is the working directory), and the first executable regular file found is the program.
 * Not found is 127; found but not executable (or a directory) is 126, as a shell says it.
 */
public final class ProgramCheck {
    private ProgramCheck() {
    }

    /**
     * The program to run: {@code name} itself when it holds a slash, else its path in PATH.
     *
     * @param path the PATH to search (the supervisor's: the task's may be cleared)
     */
    public static Path find(String name, String path) throws LaunchException {
        if (name.isEmpty()) {
            throw new LaunchException(LaunchException.NOT_FOUND, "cannot run '': an empty program name");
        }
        if (name.indexOf('/') >= 0) {
            Path p = Path.of(name);
            if (!Files.exists(p)) {
                throw new LaunchException(LaunchException.NOT_FOUND, "cannot run " + Printable.quote(name)
                        + ": no such file");
            }
            if (Files.isDirectory(p) || !Files.isExecutable(p)) {
                throw LaunchException.cannotRun("cannot run " + Printable.quote(name) + ": "
                        + (Files.isDirectory(p) ? "a directory" : "not executable"));
            }
            return p;
        }
        Path notExecutable = null;
        for (String dir : (path == null ? "" : path).split(File.pathSeparator, -1)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir).resolve(name);
            if (Files.isRegularFile(p)) {
                if (Files.isExecutable(p)) {
                    return p;
                }
                notExecutable = notExecutable == null ? p : notExecutable;
            }
        }
        if (notExecutable != null) {
            throw LaunchException.cannotRun("cannot run " + Printable.quote(name) + ": " + notExecutable
                    + " is not executable");
        }
        throw new LaunchException(LaunchException.NOT_FOUND, "cannot run " + Printable.quote(name)
                + ": not found in PATH");
    }

    /** {@link #find} with this process's PATH, as a check before the start. */
    public static Path check(String name) throws LaunchException {
        return BeforeStart.call("while looking for the program " + Printable.quote(name),
                () -> find(name, System.getenv("PATH")));
    }
}
