package supervisor.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.ProcFs;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * The supervisor's image (container/, {@code mvn package -Pimage}) in a real container runtime:
 * podman as root, set up by {@code scripts/container-test} (podman from Debian's packages, its
 * settings in a private CONTAINERS_CONF, a base image made here without a registry). The image
 * is built once, by the project's own command against that base, and every test runs the
 * supervisor as the container's PID 1. Skips, saying why, where podman cannot run (not root).
 */
class ContainerImageIT {
    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path TASKS = Path.of(System.getProperty("test.tasks.jar", REPO + "/test-tasks/target/test-tasks.jar"));
    private static final Path WORKER = Path.of(System.getProperty("test.tasks.worker.jar",
            REPO + "/test-tasks/target/test-tasks-worker.jar"));
    private static final String ID = UUID.randomUUID().toString();
    private static final String IMAGE = "localhost/supervisor-it:" + ID.substring(0, 8);
    private static final Map<String, String> ENV = new HashMap<>();
    private static final AtomicInteger NAMES = new AtomicInteger();

    @TempDir
    Path dir;

    @BeforeAll
    static void buildImage() throws Exception {
        Assumptions.assumeTrue(Procs.isRoot(), "podman runs containers here as root only (runc, cgroupfs)");
        long start = System.nanoTime();
        Result prepare = exec(List.of(REPO.resolve("scripts/container-test").toString(), "prepare"), Duration.ofMinutes(10));
        Assumptions.assumeTrue(prepare.status != 3, prepare.err.strip());
        assertEquals(0, prepare.status, "scripts/container-test prepare: " + prepare.err);
        String base = null;
        for (String line : prepare.out.split("\n")) {
            String[] kv = line.split("=", 2);
            if (kv[0].equals("base")) {
                base = kv[1];
            } else if (kv.length == 2) {
                ENV.put(kv[0], kv[1]);
            }
        }
        long prepared = System.nanoTime();
        // The project's own command (docs/containers.md), on the archive this build made.
        Result build = exec(List.of("mvn", "-B", "-ntp", "-o", "-q", "-f", REPO.resolve("container/pom.xml").toString(),
                "package", "-Pimage", "-Dimage.base=" + base, "-Dimage.name=" + IMAGE), Duration.ofMinutes(5));
        assertEquals(0, build.status, "mvn package -Pimage: " + build.out + build.err);
        System.out.printf("container: prepared in %d ms, image built in %d ms, %s%n",
                TimeUnit.NANOSECONDS.toMillis(prepared - start), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - prepared),
                podman("image", "inspect", "-f", "{{.Size}} bytes", IMAGE).out.strip());
    }

    @AfterAll
    static void removeImage() throws Exception {
        if (ENV.isEmpty()) {
            return;
        }
        Result ps = podman("ps", "-a", "-q", "--filter", "label=supervisor.test.id=" + ID);
        for (String c : ps.out.split("\\s+")) {
            if (!c.isEmpty()) {
                podman("rm", "-f", c);
            }
        }
        podman("rmi", "-f", IMAGE);
        assertEquals("", podman("ps", "-a", "-q", "--filter", "label=supervisor.test.id=" + ID).out.strip(),
                "containers left");
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + ID, Duration.ofSeconds(10));
    }

    @Test
    void podmanStopRunsEveryHookOfA3JvmTreeUnderTreeKillMode() throws Exception {
        stopA3JvmTree("tree", List.of("hook-0", "hook-1", "hook-task"));
    }

    @Test
    void podmanStopUnderTaskKillModeRunsTheTasksHookAndKillsTheDetachedJvms() throws Exception {
        // The stop signal goes to the task's group only; the detached JVMs (setsid) are killed once it exits.
        stopA3JvmTree("task", List.of("hook-task"));
    }

    private void stopA3JvmTree(String mode, List<String> hooks) throws Exception {
        String name = start(List.of("-v", dir + ":/hooks"), "run", "--kill-mode", mode, "/tasks.jar", "--", "detached-jvms", "2", "/hooks");
        Await.until(Duration.ofSeconds(60), "the 3 JVMs of the task ready", () -> podman("logs", name).err.contains("ready")
                && Files.exists(dir.resolve("hook-0.ready")) && Files.exists(dir.resolve("hook-1.ready")));
        long start = System.nanoTime();
        Result stop = podman("stop", "-t", "30", name);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(0, stop.status, stop.err);
        assertEquals(143, exitCode(name), podman("logs", name).err);
        List<String> ran = new ArrayList<>();
        for (String h : List.of("hook-0", "hook-1", "hook-task")) {
            if (Files.exists(dir.resolve(h))) {
                ran.add(h);
            }
        }
        assertEquals(hooks, ran, "the shutdown hooks that ran; " + podman("logs", name).err);
        System.out.printf("container: podman stop of a 3-JVM tree, kill mode %s: %d ms, hooks %s%n", mode, millis, ran);
        remove(name);
    }

    @Test
    void twoHundredOrphansLeaveNoZombie() throws Exception {
        String name = start(List.of(), "run", "--", "sh", "-c",
                "for i in $(seq 200); do (sleep 0.3 &); done; echo spawned >&2; exec sleep 600");
        Await.until(Duration.ofSeconds(30), "the orphans spawned", () -> podman("logs", name).err.contains("spawned"));
        int pid1 = Integer.parseInt(podman("inspect", "-f", "{{.State.Pid}}", name).out.strip());
        assertTrue(Procs.cmdline(pid1).contains("supervisor.cli.Main"), "the supervisor is the container's PID 1: " + Procs.cmdline(pid1));
        int most = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        // Until no orphan lives: every one has been re-parented to PID 1 and has ended.
        while (System.nanoTime() - end < 0 && ProcFs.children(pid1).stream().anyMatch(p -> Procs.cmdline(p).startsWith("sleep 0.3"))) {
            most = Math.max(most, Procs.zombieChildren(pid1).size());
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // the sampling rate, not a wait
        }
        Await.until(Duration.ofSeconds(2), "no zombie child of PID 1", () -> Procs.zombieChildren(pid1).isEmpty());
        System.out.println("container: 200 orphans, at most " + most + " zombies outstanding");
        podman("stop", "-t", "30", name);
        assertEquals(143, exitCode(name));
        remove(name);
    }

    @Test
    void aHungTaskGives124() throws Exception {
        String name = start(List.of(), "run", "--timeout", "2s", "--no-thread-dump", "/tasks.jar", "--", "hang");
        assertEquals(124, exitCode(name), podman("logs", name).err);
        remove(name);
    }

    @Test
    void readyTcpWorksInside() throws Exception {
        // Never ready: 120 at 4 s; ready (the server listens after 0.5 s): 124 at the timeout.
        String name = start(List.of(), "run", "--ready", "tcp:8080", "--ready-timeout", "4s", "--timeout", "6s",
                "--no-thread-dump", "/tasks.jar", "--", "http-server", "8080", "500");
        assertEquals(124, exitCode(name), podman("logs", name).err);
        remove(name);
    }

    @Test
    void aMemoryLimitHitInsideGives121() throws Exception {
        String name = start(List.of(), "run", "--memory", "64M", "--timeout", "60s", "/tasks.jar", "--", "oom");
        assertEquals(121, exitCode(name), podman("logs", name).err);
        remove(name);
    }

    /**
     * The batch Job of examples/kubernetes as its pods run it: for each index at once, a container
     * of the image with the manifest's working directory, its volumes bound where it mounts them
     * (ConfigMap volumes laid out as the kubelet does), JOB_COMPLETION_INDEX set, and the
     * manifest's args, $(JOB_COMPLETION_INDEX) expanded. Every input line is answered once.
     */
    @Test
    void theBatchJobsPodsAnswerEveryLineOnce() throws Exception {
        Map<String, Object> job = Manifests.only("batch-job.yaml", "Job");
        int n = (Integer) Manifests.at(job, "spec", "completions");
        Map<String, Object> container = Manifests.at(job, "spec", "template", "spec", "containers", 0);
        String workdir = (String) container.get("workingDir");
        Path work = Files.createDirectories(dir.resolve("batch"));
        int lines = 20;
        Manifests.batchVolumes(work, WORKER, lines);
        List<String> names = new ArrayList<>();
        for (int index = 0; index < n; index++) {
            List<String> options = new ArrayList<>(List.of("-w", workdir, "-e", "JOB_COMPLETION_INDEX=" + index));
            for (Map<String, Object> m : Manifests.<List<Map<String, Object>>>at(container, "volumeMounts")) {
                String path = (String) m.get("mountPath");
                options.addAll(List.of("-v", work.resolve(path.substring(workdir.length() + 1)) + ":" + path
                        + (Boolean.TRUE.equals(m.get("readOnly")) ? ":ro" : "")));
            }
            names.add(start(options, Manifests.jobArgs(Manifests.at(container, "args"), index).toArray(String[]::new)));
        }
        for (String name : names) {
            assertEquals(0, exitCode(name), podman("logs", name).err);
        }
        for (String name : names) {
            remove(name);
        }
        Manifests.answeredLines(work.resolve("answers"), n, lines);
    }

    /**
     * The service Deployment of examples/kubernetes: the manifest's args in a container of the
     * image (the test tasks' HTTP server as app.jar, listening after 4 s), and its probes' exact
     * commands run by {@code podman exec}, as the kubelet runs an exec probe: not ready until the
     * server listens, then ready and alive; the task JVM frozen (SIGSTOP), not ready at once and
     * not alive once its beat is stale; a stop removes the health file.
     */
    @Test
    void theServicesExecProbesFollowTheTask() throws Exception {
        Map<String, Object> deployment = Manifests.only("service-deployment.yaml", "Deployment");
        Map<String, Object> container = Manifests.at(deployment, "spec", "template", "spec", "containers", 0);
        List<String> args = new ArrayList<>(Manifests.at(container, "args"));
        int port = (Integer) Manifests.at(container, "ports", 0, "containerPort");
        args.addAll(List.of("--", "http-server", Integer.toString(port), "4000")); // the test server's own arguments
        String health = Manifests.option(args, "--health-file");
        Path healthDir = Files.createDirectories(dir.resolve("health"));
        Path app = dir.resolve("app");
        Manifests.configMapVolume(app, "app.jar", Files.readAllBytes(TASKS));
        String name = start(List.of("-w", (String) container.get("workingDir"), "-v", app + ":/srv/app:ro",
                "-v", healthDir + ":" + health.substring(0, health.lastIndexOf('/'))), args.toArray(String[]::new));
        List<String> readiness = Manifests.at(container, "readinessProbe", "exec", "command");
        List<String> liveness = Manifests.at(container, "livenessProbe", "exec", "command");

        Result first = probe(name, readiness);
        assertFalse(podman("logs", name).err.contains("listening on"), "the server listens after 4 s");
        assertEquals(1, first.status, first.out + first.err);
        assertTrue(first.out.startsWith("not ready: "), first.out);
        Result ready = awaitProbe(name, readiness, 0);
        assertTrue(ready.out.startsWith("ready: 127.0.0.1:" + port + " accepts connections"), ready.out);
        assertTrue(podman("logs", name).err.contains("listening on"), "ready once the server listens");
        assertEquals(0, probe(name, liveness).status);

        int pid1 = Integer.parseInt(podman("inspect", "-f", "{{.State.Pid}}", name).out.strip());
        int task = ProcFs.children(pid1).stream().filter(pid -> Procs.cmdline(pid).contains("-jar app/app.jar"))
                .findFirst().orElseThrow(() -> new AssertionError("no task JVM among the children of " + pid1));
        Supervisor.kill("STOP", task);
        Result unhealthy = awaitProbe(name, readiness, 1);
        assertTrue(unhealthy.out.startsWith("not ready: unhealthy: the task is not responsive"), unhealthy.out);
        // The manifest's --max-age (20 s) shortened, to see the beat go stale within the test's time.
        List<String> shortLiveness = new ArrayList<>(liveness.subList(0, liveness.size() - 1));
        shortLiveness.add("2s");
        Result stale = awaitProbe(name, shortLiveness, 1);
        assertTrue(stale.out.startsWith("not alive: last found healthy "), stale.out);
        Supervisor.kill("CONT", task);
        awaitProbe(name, readiness, 0);
        // The supervisor itself frozen: nothing writes the file, and its beat goes stale all the same.
        Supervisor.kill("STOP", pid1);
        try {
            Result frozen = awaitProbe(name, shortLiveness, 1);
            assertTrue(frozen.out.startsWith("not alive: last found healthy "), frozen.out);
        } finally {
            Supervisor.kill("CONT", pid1);
        }
        awaitProbe(name, readiness, 0);

        Result stop = podman("stop", "-t", "40", name);
        assertEquals(0, stop.status, stop.err);
        assertEquals(143, exitCode(name), podman("logs", name).err);
        try (Stream<Path> left = Files.list(healthDir)) {
            assertEquals(List.of(), left.toList(), "the health file is removed at the end");
        }
        remove(name);
    }

    /** An exec probe: the command in the running container, as the kubelet runs it. */
    private static Result probe(String name, List<String> command) {
        List<String> all = new ArrayList<>(List.of("exec", name));
        all.addAll(command);
        return podman(all.toArray(String[]::new));
    }

    private static Result awaitProbe(String name, List<String> command, int status) {
        Result[] last = new Result[1];
        Await.until(Duration.ofSeconds(60), String.join(" ", command) + " to exit " + status, () -> {
            last[0] = probe(name, command);
            return last[0].status == status;
        });
        return last[0];
    }

    /** Starts a container of the image, detached, marked for the checks; returns its name. */
    private static String start(List<String> options, String... args) throws Exception {
        String name = "supervisor-it-" + ID.substring(0, 8) + "-" + NAMES.incrementAndGet();
        List<String> command = new ArrayList<>(List.of("run", "-d", "--name", name, "--label", "supervisor.test.id=" + ID,
                "-e", "SUPERVISOR_TEST_ID=" + ID, "-v", TASKS + ":/tasks.jar:ro"));
        command.addAll(options);
        command.add(IMAGE);
        command.addAll(List.of(args));
        Result r = podman(command.toArray(String[]::new));
        assertEquals(0, r.status, "podman run: " + r.err);
        return name;
    }

    private static int exitCode(String name) throws Exception {
        Result r = exec(podmanCommand("wait", name), Duration.ofSeconds(120));
        assertEquals(0, r.status, "podman wait: " + r.err);
        return Integer.parseInt(r.out.strip());
    }

    private static void remove(String name) throws Exception {
        podman("rm", "-f", name);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + ID, Duration.ofSeconds(10));
    }

    private record Result(int status, String out, String err) {
    }

    private static Result podman(String... args) {
        try {
            return exec(podmanCommand(args), Duration.ofSeconds(120));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static List<String> podmanCommand(String... args) {
        List<String> c = new ArrayList<>(List.of("podman"));
        c.addAll(List.of(args));
        return c;
    }

    private static Result exec(List<String> command, Duration deadline) throws IOException, InterruptedException {
        Path out = Files.createTempFile("container-it", ".out");
        Path err = Files.createTempFile("container-it", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(ENV);
            Process p = pb.start();
            if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", command) + " did not end within " + deadline);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
