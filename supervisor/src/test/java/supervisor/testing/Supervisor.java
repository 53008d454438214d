package supervisor.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import supervisor.platform.Cgroups;
import supervisor.platform.ProcStat;

/**
 * Drives the real supervisor command, through the real launcher script, as a user would. Every
 * process it starts carries a SUPERVISOR_TEST_ID of its own in its environment, so that
 * {@link #close()} can prove that nothing was left behind.
 */
public final class Supervisor implements AutoCloseable {
    /**
     * Which termination mechanism holds the task: a cgroup leaf (the test is skipped, saying why,
     * where no cgroup2 hierarchy is writable), or the process tree alone.
     */
    public enum Route { CGROUP, TREE }

    public static final Path LAUNCHER = Path.of(System.getProperty("supervisor.launcher", "../scripts/supervisor"));
    public static final Path TASKS = Path.of(System.getProperty("test.tasks.jar", "../test-tasks/target/test-tasks.jar"))
            .toAbsolutePath().normalize();

    private final Process process;
    private final String testId;
    private final Pump out;
    private final Pump err;

    private Supervisor(Process process, String testId, Pump out, Pump err) {
        this.process = process;
        this.testId = testId;
        this.out = out;
        this.err = err;
    }

    public static Builder builder(String... args) {
        return new Builder(Arrays.asList(args));
    }

    /** {@code supervisor run OPTIONS TASKS.jar -- behaviour...} on the given route. */
    public static Supervisor run(Route route, List<String> options, String... task) throws IOException {
        List<String> args = new ArrayList<>();
        args.add("run");
        args.addAll(options);
        args.add(TASKS.toString());
        args.add("--");
        args.addAll(Arrays.asList(task));
        return builder(args.toArray(String[]::new)).route(route).start();
    }

    public static final class Builder {
        private final List<String> args;
        private Route route = Route.TREE;
        private byte[] stdin = new byte[0];
        private boolean keepStdinOpen;
        private boolean digestStdout;
        private Path dir;
        private Path launcher = LAUNCHER;
        private final Map<String, String> env = new HashMap<>();

        private Builder(List<String> args) {
            this.args = args;
        }

        public Builder route(Route r) {
            this.route = r;
            return this;
        }

        public Builder stdin(byte[] bytes) {
            this.stdin = bytes;
            return this;
        }

        /** Leave the supervisor's stdin open and unwritten, as a task that never reads it sees. */
        public Builder keepStdinOpen() {
            this.keepStdinOpen = true;
            return this;
        }

        /** Count and hash stdout instead of keeping it (for large outputs). */
        public Builder digestStdout() {
            this.digestStdout = true;
            return this;
        }

        /** Sets a variable for the supervisor; a null value removes it (the route's own included). */
        public Builder environment(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder directory(Path d) {
            this.dir = d;
            return this;
        }

        /** Another copy of the launcher (an installed layout of its own, say). */
        public Builder launcher(Path l) {
            this.launcher = l;
            return this;
        }

        public Supervisor start() throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(launcher.toAbsolutePath().toString());
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            String id = UUID.randomUUID().toString();
            pb.environment().put("SUPERVISOR_TEST_ID", id);
            if (route == Route.CGROUP) {
                org.junit.jupiter.api.Assumptions.assumeTrue(Cgroups.writableV2Parent().isPresent(),
                        "no writable cgroup2 hierarchy here (needs root, or a systemd unit with Delegate=yes)");
            }
            pb.environment().put("SUPERVISOR_TERMINATION", route == Route.CGROUP ? "cgroup" : "tree");
            // Each timeout would otherwise write a thread dump into the module's directory and add
            // its time to the stop; ThreadDumpIT turns them on (environment(..., null)).
            pb.environment().put("SUPERVISOR_THREAD_DUMP", "no");
            env.forEach((k, v) -> {
                if (v == null) {
                    pb.environment().remove(k);
                } else {
                    pb.environment().put(k, v);
                }
            });
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            Process p = pb.start();
            Pump out = new Pump(p.getInputStream(), digestStdout);
            Pump err = new Pump(p.getErrorStream(), false);
            OutputStream in = p.getOutputStream();
            in.write(stdin);
            in.flush();
            if (!keepStdinOpen) {
                in.close();
            }
            return new Supervisor(p, id, out, err);
        }
    }

    public long pid() {
        return process.pid();
    }

    public String testEnv() {
        return "SUPERVISOR_TEST_ID=" + testId;
    }

    public Process process() {
        return process;
    }

    /** Waits for the supervisor to exit; fails the test if it does not within {@code timeout}. */
    public int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("supervisor did not exit within " + timeout.toMillis() + " ms; stderr:\n" + stderr());
        }
        out.finish();
        err.finish();
        return process.exitValue();
    }

    public String stdout() {
        return new String(out.bytes(), StandardCharsets.UTF_8);
    }

    public byte[] stdoutBytes() {
        return out.bytes();
    }

    public long stdoutCount() {
        return out.count;
    }

    public String stdoutSha256() {
        return out.sha256();
    }

    public String stderr() {
        return new String(err.bytes(), StandardCharsets.UTF_8);
    }

    /** Waits until stderr holds {@code text}. */
    public void awaitStderr(String text, Duration timeout) {
        Await.until(timeout, "stderr to contain '" + text + "'; it holds:\n" + stderr(), () -> stderr().contains(text));
    }

    public void awaitStdout(String text, Duration timeout) {
        Await.until(timeout, "stdout to contain '" + text + "'", () -> stdout().contains(text));
    }

    /** The live processes of this run other than the supervisor itself: the task and its tree. */
    public List<ProcStat> taskProcesses() {
        List<ProcStat> ps = new ArrayList<>();
        for (ProcStat p : Procs.withEnv(testEnv())) {
            if (p.pid() != process.pid() && !Procs.isGuardianCmdline(Procs.cmdline(p.pid()))) {
                ps.add(p);
            }
        }
        return ps;
    }

    /** The task JVM: the process running test-tasks.jar. */
    public ProcStat taskJvm() {
        for (ProcStat p : taskProcesses()) {
            String cmd = Procs.cmdline(p.pid());
            if (cmd.contains("java") && cmd.contains("test-tasks.jar")) {
                return p;
            }
        }
        throw new AssertionError("no task JVM found among" + Procs.describe(taskProcesses()));
    }

    public void signal(String name) throws IOException, InterruptedException {
        kill(name, process.pid());
    }

    /** {@code kill -SIGNAL PID}; a negative pid names a process group. */
    public static void kill(String signal, long pid) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + signal, "--", Long.toString(pid)).inheritIO().start();
        if (k.waitFor() != 0) {
            throw new AssertionError("kill -" + signal + " " + pid + " failed");
        }
    }

    /** Kills the supervisor if it still runs, and fails if anything of its run is left. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        Procs.assertNoneLeft(testEnv(), Duration.ofSeconds(5));
    }

    private static final class Pump extends Thread {
        private final InputStream in;
        private final boolean digest;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final MessageDigest sha;
        private volatile long count;

        Pump(InputStream in, boolean digest) {
            this.in = in;
            this.digest = digest;
            try {
                this.sha = MessageDigest.getInstance("SHA-256");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] buf = new byte[65536];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    count += n;
                    if (digest) {
                        sha.update(buf, 0, n);
                    } else {
                        synchronized (kept) {
                            kept.write(buf, 0, n);
                        }
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }

        byte[] bytes() {
            synchronized (kept) {
                return kept.toByteArray();
            }
        }

        String sha256() {
            return HexFormat.of().formatHex(sha.digest());
        }

        void finish() throws InterruptedException {
            join(10_000);
        }
    }
}
