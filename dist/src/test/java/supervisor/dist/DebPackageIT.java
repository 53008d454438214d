package supervisor.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/**
 * Issue 27: the Debian package, installed with dpkg -i as root (CI), gives /usr/bin/supervisor,
 * which runs tasks and pools from anywhere; its man page, completion, template unit and the
 * `timeout` link; start-up caches made at install for the java installed here, and made again
 * when a JDK changes (the trigger); and purging it leaves none of the paths it or its scripts
 * made, nor a process.
 */
class DebPackageIT {
    private static final String PACKAGE = "jvm-supervisor";
    private static final Path DEB_DIR = Path.of(System.getProperty("dist.deb.dir", "target"));
    private static final Path CACHE = Path.of("/var/cache/jvm-supervisor");
    private static final Path HOME = Path.of("/usr/lib/supervisor");
    private static final Duration DPKG_LOCK = Duration.ofMinutes(5);

    @Test
    void installedItRunsFromUsrBinAndPurgedItLeavesNothing(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Procs.isRoot(), "needs root: dpkg -i installs into /usr (CI runs the tests as root)");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg")), "not a Debian system: no dpkg");
        assertTrue(Installed.ensureTool("man", "man-db"), "man-db could not be installed");
        Path deb = theDeb();
        if (dpkgStatus().equals("installed")) {
            dpkg("--purge", PACKAGE); // left by an interrupted run: start from nothing
        }
        // Every path the package holds, and the one its scripts make; which were there before.
        List<Path> paths = new ArrayList<>(contents(deb));
        paths.add(CACHE);
        Set<Path> before = new TreeSet<>();
        for (Path p : paths) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                before.add(p);
            }
        }
        assertTrue(!before.contains(Path.of("/usr/bin/supervisor")) && !before.contains(HOME),
                "nothing of the package is here before it is installed: " + before);
        String id = UUID.randomUUID().toString();
        try {
            // Its scripts (the caches' training runs) carry the marker: none of them may be left.
            dpkg(Map.of("SUPERVISOR_TEST_ID", id), "-i", deb.toString());
            Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(5));
            assertEquals("installed", dpkgStatus());

            installedFiles(id);
            cachesAreMadeAtInstallAndAgainWhenAJdkChanges(id);

            Path tasks = Files.createDirectories(dir.resolve("tasks"));
            Installed.copyTasks(tasks);
            Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
            Installed.runsAndPools(List.of("/usr/bin/supervisor"), tasks, elsewhere);
            Installed.runsAndPools(List.of("/usr/bin/env", "PATH=/usr/bin:/bin", "supervisor"), tasks, elsewhere);
        } finally {
            dpkg("--purge", PACKAGE);
        }
        assertEquals("not-installed", dpkgStatus());
        List<Path> left = new ArrayList<>();
        for (Path p : paths) {
            if (!before.contains(p) && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                left.add(p);
            }
        }
        assertEquals(List.of(), left, "left after dpkg --purge");
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(5));
    }

    private static void installedFiles(String id) throws Exception {
        Path bin = Path.of("/usr/bin/supervisor");
        assertEquals(Path.of("../lib/supervisor/bin/supervisor"), Files.readSymbolicLink(bin));
        assertEquals(HOME.resolve("bin/supervisor"), bin.toRealPath());
        // `timeout` for a PATH that wants it: /usr/lib/supervisor/bin first.
        assertEquals(Path.of("supervisor"), Files.readSymbolicLink(HOME.resolve("bin/timeout")));
        Installed.Result version = Installed.exec(List.of(HOME.resolve("bin/timeout").toString(), "--version"), Map.of());
        assertTrue(version.status() == 0 && version.output().startsWith("timeout (supervisor) "), version.output());
        // Found in PATH by its name, as a script that calls timeout finds it.
        Installed.Result timedOut = Installed.exec(List.of("env", "PATH=" + HOME.resolve("bin") + ":/usr/bin:/bin",
                "timeout", "0.5", "sh", "-c", "sleep 30 & sleep 30"), Map.of("SUPERVISOR_TEST_ID", id));
        assertEquals(124, timedOut.status(), timedOut.output());
        assertEquals("", timedOut.output(), "GNU timeout says nothing at a timeout");
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(5)); // the background sleep too

        Installed.Result where = Installed.exec(List.of("man", "-w", "supervisor"), Map.of());
        assertEquals(0, where.status(), where.output());
        assertEquals("/usr/share/man/man1/supervisor.1jvm.gz\n", where.output());
        Installed.Result page = Installed.exec(List.of("man", "supervisor"), Map.of("MANWIDTH", "100", "MANPAGER", "cat"));
        assertEquals(0, page.status(), page.output());
        assertTrue(page.output().contains("supervisor pool [OPTIONS] WORKER.jar") && page.output().contains("--max-procs N"),
                page.output());

        Path completion = Path.of("/usr/share/bash-completion/completions/supervisor");
        assertEquals("config\n", Installed.completes(completion, "con"));
        assertTrue(Installed.completes(completion, "run", "--kill").startsWith("--kill-mode\n"));

        String unit = Files.readString(Path.of("/lib/systemd/system/supervisor@.service"));
        for (String line : List.of("Type=notify", "ExecStart=/usr/bin/supervisor run --config /etc/supervisor/%i.conf",
                "WatchdogSec=", "Delegate=yes", "SuccessExitStatus=143", "KillMode=mixed")) {
            assertTrue(unit.lines().anyMatch(l -> l.startsWith(line)), "the unit has " + line);
        }
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        if (Files.isExecutable(analyze)) {
            // An instance of the installed template, checked as systemd would load it.
            Installed.Result verify = Installed.exec(List.of(analyze.toString(), "verify",
                    "/lib/systemd/system/supervisor@check.service"), Map.of());
            assertEquals(0, verify.status(), verify.output());
            assertEquals("", verify.output().strip(), "systemd-analyze verify has warnings");
        }
        assertTrue(Files.readString(Path.of("/usr/share/doc/" + PACKAGE + "/copyright")).contains("License: Apache-2.0"));
    }

    /** postinst made them for the java installed here; the trigger on /usr/lib/jvm makes them again. */
    private static void cachesAreMadeAtInstallAndAgainWhenAJdkChanges(String id) throws Exception {
        Path jsa = CACHE.resolve("supervisor.jsa");
        assertTrue(Files.isRegularFile(jsa) && Files.size(jsa) > 0, "postinst made " + jsa + ": "
                + (Files.exists(CACHE.resolve("make-caches.log")) ? Files.readString(CACHE.resolve("make-caches.log")) : ""));
        assertEquals(jsa, HOME.resolve("lib/supervisor.jsa").toRealPath(), "the launcher reads it beside the jar");
        Path timeoutJsa = CACHE.resolve("supervisor-timeout.jsa");
        assertTrue(Files.isRegularFile(timeoutJsa) && Files.size(timeoutJsa) > 0, "postinst made timeout's archive too");
        assertEquals(timeoutJsa, HOME.resolve("lib/supervisor-timeout.jsa").toRealPath());
        Files.delete(jsa);
        waitingForTheLock(List.of("dpkg-trigger", "--no-await", "/usr/lib/jvm"), Map.of());
        dpkg(Map.of("SUPERVISOR_TEST_ID", id), "--triggers-only", PACKAGE);
        assertTrue(Files.isRegularFile(jsa), "the trigger made " + jsa + " again");
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(5));
    }

    private static Path theDeb() throws IOException {
        try (Stream<Path> s = Files.list(DEB_DIR)) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().matches(PACKAGE + "_.*_all\\.deb")).toList();
            assertEquals(1, debs.size(), "mvn package made one " + PACKAGE + " package in " + DEB_DIR + ": " + debs);
            return debs.get(0).toAbsolutePath();
        }
    }

    /** The paths in the package, as dpkg-deb lists them (./usr/bin/supervisor -> /usr/bin/supervisor). */
    private static List<Path> contents(Path deb) throws Exception {
        Installed.Result list = Installed.exec(List.of("sh", "-c", "dpkg-deb --fsys-tarfile \"$1\" | tar -t", "sh",
                deb.toString()), Map.of());
        assertEquals(0, list.status(), list.output());
        List<Path> paths = new ArrayList<>();
        for (String line : list.output().split("\n")) {
            String name = line.strip();
            if (name.startsWith("./") && name.length() > 2) {
                paths.add(Path.of(name.substring(1)));
            }
        }
        return paths;
    }

    /** installed, not-installed, or another of dpkg's states. */
    private static String dpkgStatus() throws Exception {
        Installed.Result r = Installed.exec(List.of("dpkg-query", "-W", "-f=${db:Status-Status}", PACKAGE), Map.of());
        return r.status() == 0 ? r.output().strip() : "not-installed";
    }

    private static void dpkg(String... args) throws Exception {
        dpkg(Map.of(), args);
    }

    /**
     * dpkg with {@code args}, waiting while another dpkg or apt holds the lock (builds run beside
     * each other here). Where this system excludes paths from packages (a slim image without man
     * pages or docs), this package's own are included: they are what is tested.
     */
    private static void dpkg(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("dpkg"));
        if (excludesPaths()) {
            command.add("--path-include=*");
        }
        command.addAll(List.of(args));
        waitingForTheLock(command, env);
    }

    /** Runs a dpkg tool to success, trying again while its failure is dpkg's lock, held by another. */
    private static void waitingForTheLock(List<String> command, Map<String, String> env) {
        Installed.Result[] last = new Installed.Result[1];
        Await.until(DPKG_LOCK, "dpkg's lock, for " + String.join(" ", command), () -> {
            try {
                last[0] = Installed.exec(command, env);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return last[0].status() == 0 || !last[0].output().contains("lock");
        });
        assertEquals(0, last[0].status(), String.join(" ", command) + ": " + last[0].output());
    }

    private static boolean excludesPaths() throws IOException {
        Path conf = Path.of("/etc/dpkg/dpkg.cfg.d");
        if (!Files.isDirectory(conf)) {
            return false;
        }
        try (Stream<Path> s = Files.list(conf)) {
            for (Path p : s.toList()) {
                if (Files.isRegularFile(p) && Files.readString(p).lines().anyMatch(l -> l.strip().startsWith("path-exclude"))) {
                    return true;
                }
            }
        }
        return false;
    }
}
