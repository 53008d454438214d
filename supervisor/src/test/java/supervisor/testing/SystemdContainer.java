package supervisor.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assumptions;

/**
 * A real systemd to test units under: Debian 12's systemd 252 as PID 1 of a podman container,
 * started by {@code scripts/systemd-container run}, which keeps it until its stdin ends and then
 * removes it and checks that the host's cgroup mounts are as before. Closing this closes that
 * stdin and fails unless the script ended with 0; should the test JVM die instead, the pipe closes
 * with it and the script tears down all the same.
 */
public final class SystemdContainer implements AutoCloseable {
    public static final Path SCRIPT = Path.of(System.getProperty("systemd.container.script", "../scripts/systemd-container"));
    /** Status of the script when it cannot run here (not root, no podman): the tests skip, saying why. */
    private static final int CANNOT_RUN_HERE = 3;

    private final String name;
    private final Process process;
    private final StringBuffer stderr = new StringBuffer();
    private double startSeconds;
    private Thread stderrPump;

    private SystemdContainer(String name, Process process) {
        this.name = name;
        this.process = process;
    }

    /** What one command in the container did. */
    public record Result(int status, String stdout, String stderr) {
        public Result ok() {
            if (status != 0) {
                throw new AssertionError("status " + status + "\nstdout: " + stdout + "\nstderr: " + stderr);
            }
            return this;
        }
    }

    /**
     * Starts container {@code name} ({@code run NAME ARGS...}) and waits until it says ready, at most
     * {@code timeout}: the first run on a machine installs podman and builds the root filesystem.
     * Skips the test, with the script's reason, where it cannot run (not root, no podman). The script
     * (and podman, and what inherits from them) carries {@code SUPERVISOR_TEST_ID=testId}.
     */
    public static SystemdContainer start(String name, String testId, Duration timeout, String... args) throws IOException {
        Assumptions.assumeTrue(Procs.isRoot(), "needs root: podman --privileged runs systemd as a container's PID 1");
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString(), "run", name));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("SUPERVISOR_TEST_ID", testId);
        long start = System.nanoTime();
        SystemdContainer c = new SystemdContainer(name, pb.start());
        Thread err = pump(c.process.getErrorStream(), c.stderr);
        c.stderrPump = err;
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        Thread out = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(c.process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.equals("ready " + name)) {
                        ready.complete(true);
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.complete(false);
        }, "systemd-container-stdout");
        out.setDaemon(true);
        out.start();
        boolean isReady;
        try {
            isReady = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            c.process.getOutputStream().close(); // the script tears down
            throw new AssertionError("systemd container " + name + " not ready within " + timeout + ": " + e + "\n" + c.stderr, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.process.getOutputStream().close();
            throw new AssertionError("interrupted", e);
        }
        if (!isReady) {
            int status = waitFor(c.process, Duration.ofSeconds(120));
            join(err);
            String why = c.stderr.toString().strip();
            Assumptions.assumeTrue(status != CANNOT_RUN_HERE, why);
            throw new AssertionError("systemd container " + name + " did not start (status " + status + "): " + why);
        }
        c.startSeconds = (System.nanoTime() - start) / 1e9;
        return c;
    }

    public String name() {
        return name;
    }

    /** Seconds from the script's start to "ready": podman, the root filesystem, systemd's boot. */
    public double startSeconds() {
        return startSeconds;
    }

    /** What the script said on stderr so far. */
    public String log() {
        return stderr.toString();
    }

    /**
     * Runs {@code command} in the container as root, with {@code input} on its stdin; its output
     * as lines (a last line without its newline gets one).
     */
    public Result exec(byte[] input, String... command) {
        List<String> argv = new ArrayList<>(List.of(SCRIPT.toString(), "exec", name));
        argv.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(argv).start();
            StringBuffer err = new StringBuffer();
            Thread errDone = pump(p.getErrorStream(), err);
            try (OutputStream in = p.getOutputStream()) {
                in.write(input);
            }
            StringBuffer out = new StringBuffer();
            Thread outDone = pump(p.getInputStream(), out);
            int status = waitFor(p, Duration.ofSeconds(120));
            join(outDone);
            join(errDone);
            return new Result(status, out.toString(), err.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a bash script in the container. */
    public Result sh(String script) {
        return exec(new byte[0], "bash", "-c", script);
    }

    /** Runs a longer bash script in the container, given on its stdin. */
    public Result script(String script) {
        return exec(script.getBytes(StandardCharsets.UTF_8), "bash", "-s");
    }

    /** Runs a bash script in the container and returns its stdout, stripped; fails unless it exits 0. */
    public String ok(String script) {
        return sh(script).ok().stdout().strip();
    }

    /** Writes {@code text} to {@code path} in the container, making its directory. */
    public void write(String path, String text) {
        exec(text.getBytes(StandardCharsets.UTF_8), "sh", "-c", "mkdir -p \"$(dirname \"$1\")\" && cat > \"$1\"", "sh", path).ok();
    }

    /** Removes the container (the script's teardown) and fails unless the host was left as it was. */
    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            int status = waitFor(process, Duration.ofSeconds(120));
            join(stderrPump);
            if (status != 0) {
                throw new AssertionError("scripts/systemd-container run " + name + " ended with " + status + ": " + log());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int waitFor(Process p, Duration timeout) {
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("not ended within " + timeout + ": " + p.info().commandLine().orElse("?"));
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A thread of its own per stream: the common pool has one thread on two cores, and these block. */
    private static Thread pump(InputStream from, StringBuffer to) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    to.append(line).append('\n');
                }
            } catch (IOException e) {
                to.append("(unreadable: ").append(e).append(")\n");
            }
        }, "systemd-container-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void join(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
