package supervisor.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 27: the archive supervisor-VERSION.tar.gz, unpacked in a directory of its own, runs from
 * there: by its path from another working directory, and by its name through a link on PATH; its
 * start-up caches are made there by lib/make-caches; its man page and completion are in it.
 */
class ArchiveIT {
    private static final Path ARCHIVE = Path.of(System.getProperty("dist.archive",
            "target/supervisor-" + Installed.VERSION + ".tar.gz"));

    @Test
    void unpackedAnywhereItRunsByItsPathAndThroughALinkOnPath(@TempDir Path dir) throws Exception {
        Path home = unpack(dir);
        assertTrue(Files.getPosixFilePermissions(home.resolve("bin/supervisor")).contains(PosixFilePermission.OWNER_EXECUTE));
        for (String f : List.of("lib/supervisor.jar", "lib/jvm.args", "lib/guardian.sh", "lib/lib/jna-5.17.0.jar",
                "lib/make-caches", "conf/supervisor.properties", "conf/systemd/supervisor@.service", "docs/systemd.md",
                "share/man/man1/supervisor.1", "share/bash-completion/completions/supervisor", "LICENSE", "README.md")) {
            assertTrue(Files.isRegularFile(home.resolve(f)), f + " is in the archive");
        }
        assertTrue(Files.readString(home.resolve("LICENSE")).contains("Apache License"), "the licence");
        // The build's caches hold the build's paths: none in the archive, lib/make-caches makes them.
        assertTrue(Files.notExists(home.resolve("lib/supervisor.jsa")), "no cache of the build's");
        Installed.Result made = Installed.exec(List.of(home.resolve("lib/make-caches").toString()),
                Map.of("SUPERVISOR_AOT_JDK", "none")); // the AOT cache has its own test (LauncherIT); keep it short
        assertEquals(0, made.status(), made.output());
        assertTrue(Files.size(home.resolve("lib/supervisor.jsa")) > 0, made.output());

        Path tasks = Files.createDirectories(dir.resolve("tasks"));
        Installed.copyTasks(tasks);
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Installed.runsAndPools(List.of(home.resolve("bin/supervisor").toString()), tasks, elsewhere);

        // By name, through a link in a directory on PATH (as ln -s .../bin/supervisor ~/bin would).
        Path onPath = Files.createDirectories(dir.resolve("path"));
        Files.createSymbolicLink(onPath.resolve("supervisor"), home.resolve("bin/supervisor"));
        Installed.runsAndPools(List.of("/usr/bin/env", "PATH=" + onPath + ":" + System.getenv("PATH"), "supervisor"),
                tasks, elsewhere);
    }

    @Test
    void itsManPageIsFoundThroughPathAndItsCompletionWorks(@TempDir Path dir) throws Exception {
        Path home = unpack(dir);
        Path completion = home.resolve("share/bash-completion/completions/supervisor");
        assertEquals("run\n", Installed.completes(completion, "ru"));
        assertTrue(Installed.completes(completion, "run", "--ti").startsWith("--timeout\n"));
        assertEquals("--workers\n", Installed.completes(completion, "pool", "--wor"));
        Assumptions.assumeTrue(Installed.ensureTool("man", "man-db"), "man is not installed, and this is not root to install it");
        // man-db looks beside each PATH directory for ../share/man: bin/ on PATH is enough.
        Installed.Result where = Installed.exec(List.of("man", "-w", "supervisor"),
                Map.of("PATH", home.resolve("bin") + ":/usr/bin:/bin", "MANPATH", ""));
        assertEquals(0, where.status(), where.output());
        assertEquals(home.resolve("share/man/man1/supervisor.1").toRealPath() + "\n", where.output());
        Installed.Result page = Installed.exec(List.of("man", "--warnings", "-l", home.resolve("share/man/man1/supervisor.1").toString()),
                Map.of("MANWIDTH", "100", "MANPAGER", "cat", "PAGER", "cat"));
        assertEquals(0, page.status(), page.output());
        assertTrue(page.output().contains("supervisor run [OPTIONS] -- PROGRAM [ARGS...]")
                && page.output().contains("--ready-timeout DURATION") && page.output().contains("EXIT STATUS"), page.output());
        assertTrue(!page.output().contains("warning"), "groff has warnings: " + page.output());
    }

    /** Unpacks the archive with tar, as a user would; returns its top directory. */
    private static Path unpack(Path dir) throws Exception {
        assertTrue(Files.isRegularFile(ARCHIVE), "mvn package made " + ARCHIVE);
        Installed.Result r = Installed.exec(List.of("tar", "-xzf", ARCHIVE.toAbsolutePath().toString(), "-C", dir.toString()),
                Map.of());
        assertEquals(0, r.status(), r.output());
        Path home = dir.resolve("supervisor-" + Installed.VERSION);
        assertTrue(Files.isDirectory(home), "the archive unpacks into supervisor-VERSION/");
        return home;
    }
}
