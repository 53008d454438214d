package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/build-info, which writes what {@code supervisor --version} prints: the commit of a git
 * work tree, and for a tree without git (a source archive, or no git installed) a class that says
 * so, never a failed build.
 */
class BuildInfoIT {
    private static final Path SCRIPT = Path.of("../scripts/build-info").toAbsolutePath().normalize();

    @Test
    void aGitTreeGivesItsCommitAndATreeWithoutGitSaysSo(@TempDir Path dir) throws Exception {
        String checkout = generate(dir.resolve("a"), Path.of("..").toAbsolutePath().normalize(), null);
        assertTrue(checkout.matches("(?s).*COMMIT = \"commit [0-9a-f]{12}(, with local changes)?\";.*"), checkout);
        assertTrue(checkout.contains("VERSION = \"9.8.7\";"), checkout);

        Path plain = Files.createDirectories(dir.resolve("no-git-here"));
        String noRepository = generate(dir.resolve("b"), plain, null);
        assertTrue(noRepository.contains("COMMIT = \"no commit: built from a tree without git\";"), noRepository);

        // git not installed at all (a PATH with mkdir and nothing else): the same, not a failed build.
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.copy(Path.of("/bin/mkdir"), bin.resolve("mkdir"), StandardCopyOption.COPY_ATTRIBUTES);
        String noGit = generate(dir.resolve("c"), Path.of("..").toAbsolutePath().normalize(), bin.toString());
        assertTrue(noGit.contains("COMMIT = \"no commit: built from a tree without git\";"), noGit);
    }

    /** Runs the script; returns the class it wrote. */
    private static String generate(Path out, Path tree, String path) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", SCRIPT.toString(), "9.8.7", tree.toString(), out.toString())
                .redirectErrorStream(true).redirectOutput(out.resolveSibling(out.getFileName() + ".log").toFile());
        if (path != null) {
            pb.environment().put("PATH", path);
        }
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "build-info ended");
        assertEquals(0, p.exitValue(), Files.readString(out.resolveSibling(out.getFileName() + ".log")));
        return Files.readString(out.resolve("supervisor/cli/BuildInfo.java"));
    }
}
