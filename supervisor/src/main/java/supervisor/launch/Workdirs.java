package supervisor.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import supervisor.log.Log;

/** Private temporary directories for tasks and workers, and their removal. */
public final class Workdirs {
    private Workdirs() {
    }

    /** A new directory under java.io.tmpdir, mode 0700 (Files.createTempDirectory's default). */
    public static Path create(String prefix) throws IOException {
        return Files.createTempDirectory(prefix);
    }

    /** Removes {@code dir} and everything in it; says what it could not remove. */
    public static void delete(Path dir) {
        try {
            // An empty directory (a task that never started) goes without a walk, which needs a
            // file descriptor that a process at its RLIMIT_NOFILE does not have.
            Files.deleteIfExists(dir);
            return;
        } catch (IOException e) {
            // not empty: walk it
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    Log.warn("cannot remove " + p + ": " + e.getMessage());
                }
            });
        } catch (IOException e) {
            Log.warn("cannot remove " + dir + ": " + e.getMessage());
        }
    }
}
