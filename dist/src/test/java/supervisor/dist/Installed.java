package supervisor.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import supervisor.testing.Supervisor;

/**
 * What both installed forms must do, whatever put them there: run a jar task, a program task, the
 * task a config file names, and a pool, from a directory that is not the checkout, on copies of
 * the test tasks outside it; and come with their man page and completion. Every run goes through
 * {@link Supervisor}, which proves on close that nothing of it is left.
 */
final class Installed {
    static final Duration LONG = Duration.ofSeconds(60);
    static final String VERSION = System.getProperty("dist.version", "0.1.0-SNAPSHOT");
    private static final Path TASKS = Path.of(System.getProperty("test.tasks.jar", "../test-tasks/target/test-tasks.jar"));
    private static final Path WORKER = Path.of(System.getProperty("test.tasks.worker.jar",
            "../test-tasks/target/test-tasks-worker.jar"));

    private Installed() {
    }

    /** Copies of the test tasks in {@code dir}: tasks.jar and worker.jar. */
    static void copyTasks(Path dir) throws IOException {
        Files.copy(TASKS, dir.resolve("tasks.jar"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(WORKER, dir.resolve("worker.jar"), StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * {@code supervisor run} and {@code pool} through {@code command} (the launcher, or env(1)
     * with a PATH and the bare name first), in {@code workdir}, on the tasks in {@code tasks}.
     */
    static void runsAndPools(List<String> command, Path tasks, Path workdir) throws Exception {
        String jar = tasks.resolve("tasks.jar").toString();
        try (Supervisor s = start(command, workdir, "--version")) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertTrue(s.stdout().matches("supervisor " + VERSION.replace(".", "\\.")
                    + " \\((commit [0-9a-f]{12}(, with local changes)?|no commit: built from a tree without git)\\)\\n"),
                    s.stdout());
        }
        try (Supervisor s = start(command, workdir, "run", jar, "--", "hello")) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("hello\n", s.stdout());
            assertEquals("", s.stderr());
        }
        try (Supervisor s = start(command, workdir, "run", "--timeout", "1s", "--grace", "1s", jar, "--", "hang")) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("timeout 1s expired"), s.stderr());
        }
        // A program that leaves a process of its own: the whole tree goes at the timeout.
        try (Supervisor s = start(command, workdir, "run", "--timeout", "1s", "--grace", "1s", "--",
                "sh", "-c", "sleep 1041 & sleep 1042; wait")) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
        }
        // The task a config file names, as the template unit runs it.
        Path conf = Files.writeString(workdir.resolve("svc.conf"), "jar = " + jar + "\ntask-args = args from-the-file\n");
        try (Supervisor s = start(command, workdir, "run", "--config", conf.toString())) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertEquals("[from-the-file]\n", s.stdout());
        }
        try (Supervisor s = Supervisor.builder(args(command, "pool", "--workers", "1", "--timeout", "20s",
                        tasks.resolve("worker.jar").toString()))
                .launcher(Path.of(command.get(0))).directory(workdir)
                .stdin("echo hello\necho again\n".getBytes(StandardCharsets.UTF_8)).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            List<String> lines = s.stdout().lines().toList();
            assertEquals(2, lines.size(), s.stdout());
            assertTrue(lines.get(0).startsWith("{\"line\":1,\"status\":\"ok\",\"output\":\"hello\""), s.stdout());
            assertTrue(lines.get(1).startsWith("{\"line\":2,\"status\":\"ok\",\"output\":\"again\""), s.stdout());
        }
    }

    private static Supervisor start(List<String> command, Path workdir, String... args) throws IOException {
        return Supervisor.builder(args(command, args)).launcher(Path.of(command.get(0))).directory(workdir).start();
    }

    private static String[] args(List<String> command, String... args) {
        List<String> all = new ArrayList<>(command.subList(1, command.size()));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    /** What bash completes "supervisor WORDS..." to, with the completion file sourced. */
    static String completes(Path completion, String... words) throws Exception {
        String script = "source " + completion + "; COMP_WORDS=(supervisor " + String.join(" ", words) + ");"
                + " COMP_CWORD=" + words.length + "; _supervisor; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Result r = exec(List.of("bash", "--norc", "-c", script), Map.of());
        assertEquals(0, r.status(), r.output());
        return r.output();
    }

    record Result(int status, String output) {
    }

    /** Runs a command to its end (stdout and stderr together, through a file), within {@link #LONG}. */
    static Result exec(List<String> command, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile("dist-exec", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not end within " + LONG + ": " + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * Makes sure {@code program} is there, installing {@code pkg} with apt-get as root when it is not
     * (CI, a fresh Debian); false, with nothing done, when it cannot be.
     */
    static boolean ensureTool(String program, String pkg) throws Exception {
        if (Files.isExecutable(Path.of("/usr/bin", program))) {
            return true;
        }
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            return false;
        }
        // Others may hold apt's or dpkg's lock (a parallel build): wait for it rather than fail.
        List<String> install = List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q",
                "--no-install-recommends", pkg);
        Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
        if (exec(install, env).status() != 0) {
            exec(List.of("apt-get", "-o", "DPkg::Lock::Timeout=300", "update", "-q"), env);
            Result r = exec(install, env);
            assertEquals(0, r.status(), "apt-get install " + pkg + ": " + r.output());
        }
        return Files.isExecutable(Path.of("/usr/bin", program));
    }
}
