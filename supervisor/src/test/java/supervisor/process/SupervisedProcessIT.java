package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.launch.ExitStatus;
import supervisor.platform.Signal;
import supervisor.terminate.KillReport;
import supervisor.terminate.TaskTree;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * {@link SupervisedProcess} driven directly through its API, no launcher: each way in with a real
 * child (a test-tasks JVM, or {@code /bin/sh} for a foreign program), how it ended, a polite stop
 * and a kill, its tree and its directories gone, and nothing left behind.
 */
class SupervisedProcessIT {
    private static final Duration END_WITHIN = Duration.ofSeconds(30);
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    /** In the environment of every process a test starts, so that none can hide from the check. */
    private final String mark = "SUPERVISOR_TEST_MARK=" + UUID.randomUUID();
    private final List<SupervisedProcess> started = new ArrayList<>();
    @TempDir
    Path dir;

    /** Every process of a test, the ones it released included, leaves no process, no cgroup and no directory. */
    @AfterEach
    void nothingLeftBehind() {
        started.forEach(SupervisedProcess::release);
        Procs.assertNoneLeft(mark, Duration.ofSeconds(5));
        for (SupervisedProcess p : started) {
            Procs.assertNoneLeft(TaskTree.MARKER_VARIABLE + "=" + p.marker(), Duration.ofSeconds(5));
            for (Path owned : owned(p)) {
                assertFalse(Files.exists(owned), owned + " is left after the release");
            }
        }
    }

    /** What {@code p} made for itself: its cgroup leaf, its private TMPDIR, a temporary working directory. */
    private static List<Path> owned(SupervisedProcess p) {
        List<Path> paths = new ArrayList<>();
        if (p.inCgroup()) {
            paths.add(Path.of(p.mechanism().substring("cgroup ".length())));
        }
        if (p.privateTmp() != null) {
            paths.add(p.privateTmp());
        }
        if (p.workdir() != null && p.workdir().getFileName().toString().startsWith("supervisor-task-")) {
            paths.add(p.workdir());
        }
        return paths;
    }

    private ProcessSpec task(String... behaviour) {
        List<String> main = new ArrayList<>(List.of("-jar", Supervisor.TASKS.toString()));
        main.addAll(List.of(behaviour));
        return ProcessSpec.java(JAVA, List.of(), main).withEnvironment(env());
    }

    private ProcessSpec shell(String script) {
        return ProcessSpec.command(List.of("/bin/sh", "-c", script)).withEnvironment(env());
    }

    private Map<String, String> env() {
        String[] kv = mark.split("=", 2);
        return Map.of(kv[0], kv[1]);
    }

    private SupervisedProcess startTask(ProcessSpec spec) throws Exception {
        SupervisedProcess p = spec.stdio() == ProcessSpec.Stdio.WORKER
                ? SupervisedProcess.startWorker(spec) : SupervisedProcess.startTask(spec);
        started.add(p);
        return p;
    }

    private static ExitStatus ended(SupervisedProcess p) throws Exception {
        return p.exit().get(END_WITHIN.toSeconds(), TimeUnit.SECONDS);
    }

    private Path output() {
        return dir.resolve("out-" + UUID.randomUUID() + ".txt");
    }

    private static void awaitLine(Path file, String line) {
        Await.until(END_WITHIN, "'" + line + "' in " + file, () -> {
            try {
                return Files.exists(file) && Files.readAllLines(file).contains(line);
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** No process of {@code p}'s run is alive: its marker is in no environment. */
    private static void assertTreeGone(SupervisedProcess p) {
        Procs.assertNoneLeft(TaskTree.MARKER_VARIABLE + "=" + p.marker(), Duration.ofSeconds(5));
        assertTrue(p.treeEmpty(), "the tree of pid " + p.pid() + " is not empty");
    }

    @Test
    void startTask_endDecoded_exit0Exit3AndKilledBySignal() throws Exception {
        SupervisedProcess zero = startTask(task("exit", "0").withOutputFile(output()));
        SupervisedProcess three = startTask(task("exit", "3").withOutputFile(output()));
        Path out = output();
        SupervisedProcess hang = startTask(task("hang").withOutputFile(out));
        assertEquals(0, ended(zero).code());
        assertEquals(3, ended(three).code());
        assertEquals(0, ended(three).signal());
        awaitLine(out, "ready");
        Supervisor.kill("KILL", hang.pid());
        ExitStatus killed = ended(hang);
        assertEquals(137, killed.code());
        assertEquals(Signal.KILL, killed.likelySignal());
        for (SupervisedProcess p : List.of(zero, three, hang)) {
            assertTreeGone(p);
            p.release();
        }
    }

    /** A worker: its protocol goes out on fd 3 (the process's input stream), what it prints to stderr. */
    @Test
    void startWorker_protocolOnFd3_chatterOnStderr_exit3() throws Exception {
        SupervisedProcess w = startTask(shell("echo chatter; echo protocol >&3; read line; exit 3")
                .withStdio(ProcessSpec.Stdio.WORKER).withLabel("worker"));
        BufferedReader protocol = new BufferedReader(new InputStreamReader(w.process().getInputStream(),
                StandardCharsets.UTF_8));
        assertEquals("protocol", protocol.readLine());
        w.process().getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
        w.process().getOutputStream().close();
        assertEquals(3, ended(w).code());
        assertEquals("chatter", new String(w.process().getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        assertTreeGone(w);
    }

    /** Detached: no {@code Process}; the watcher decodes the wait status, a signal included. */
    @Test
    void startDetached_endDecoded_exit3AndKilledBySignal() throws Exception {
        try (ChildWatcher watcher = ChildWatcher.start()) {
            Path out = output();
            SupervisedProcess three = SupervisedProcess.startDetached(shell("echo said; exit 3").withOutputFile(out), watcher);
            started.add(three);
            SupervisedProcess killed = SupervisedProcess.startDetached(shell("kill -KILL $$").withOutputFile(output()), watcher);
            started.add(killed);
            assertEquals(null, three.process());
            assertEquals(new ExitStatus(3, 0), ended(three));
            assertEquals(new ExitStatus(128 + Signal.KILL, Signal.KILL), ended(killed));
            awaitLine(out, "said");
            three.release();
            killed.release();
        }
    }

    /** A task that stops on SIGTERM is asked once and ends by itself, with its own status. */
    @Test
    void terminate_graceHonouredByATaskThatStopsOnSigterm() throws Exception {
        Path out = output();
        SupervisedProcess p = startTask(task("exit0-on-term").withOutputFile(out));
        awaitLine(out, "ready");
        p.terminate();
        assertEquals(new ExitStatus(0, 0), ended(p));
        assertTreeGone(p);
        assertEquals(null, p.release(), "nothing was left to kill");
    }

    /** A task that ignores SIGTERM outlives it; the kill takes its whole tree, a setsid grandchild too. */
    @Test
    void kill_ofATaskThatIgnoresSigterm_takesDownItsSetsidGrandchild() throws Exception {
        Path out = output();
        SupervisedProcess p = startTask(shell("trap '' TERM; setsid sleep 1031 & sleep 1032 & echo ready; wait")
                .withOutputFile(out));
        awaitLine(out, "ready");
        Await.until(END_WITHIN, "three processes in the tree", () -> p.processes().size() == 3);
        assertEquals(3, p.terminate(Signal.TERM, true));
        assertThrows(TimeoutException.class, () -> p.exit().get(500, TimeUnit.MILLISECONDS),
                "the task ignores SIGTERM: it must still run");
        KillReport report = p.kill();
        assertTrue(report.complete(), "survivors: " + report.survivors());
        assertEquals(3, report.killed());
        assertEquals(Signal.KILL, ended(p).likelySignal());
        assertTreeGone(p);
        assertTrue(Procs.withCmdline("sleep 1031").isEmpty(), "the setsid grandchild is left");
    }

    /** Many threads stop it at once: one kill, whose report every kill() gets; one exit status. */
    @Test
    void concurrentTerminateAndKill_fromManyThreads_endOnceWithOneOutcome() throws Exception {
        Path out = output();
        SupervisedProcess p = startTask(shell("trap '' TERM; setsid sleep 1033 & sleep 1034 & echo ready; wait")
                .withOutputFile(out));
        awaitLine(out, "ready");
        Await.until(END_WITHIN, "three processes in the tree", () -> p.processes().size() == 3);
        int threads = 8;
        CyclicBarrier go = new CyclicBarrier(threads);
        List<KillReport> reports = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int n = i;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                    switch (n % 4) {
                        case 0 -> p.terminate();
                        case 1 -> p.terminate(Signal.TERM, true);
                        default -> reports.add(p.kill());
                    }
                    p.terminate();
                    reports.add(p.kill());
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "stopper-" + i);
            t.start();
            all.add(t);
        }
        for (Thread t : all) {
            t.join(TimeUnit.NANOSECONDS.toMillis(2 * SupervisedProcess.KILL_BUDGET_NANOS) + 10_000);
            assertFalse(t.isAlive(), t.getName() + " still runs");
        }
        assertEquals(List.of(), failures);
        ExitStatus status = ended(p);
        assertEquals(Signal.KILL, status.likelySignal());
        assertSame(status, p.exit().get(), "one exit status");
        KillReport killing = null;
        for (KillReport r : reports) {
            assertTrue(r.complete(), "survivors: " + r.survivors());
            if (r.killed() > 0) {
                assertTrue(killing == null || killing == r, "two kills killed something: " + killing + ", " + r);
                killing = r;
            }
        }
        assertNotNull(killing, "no kill killed anything: " + reports);
        assertEquals(3, killing.killed());
        assertTreeGone(p);
        assertEquals(null, p.release(), "the kill left nothing to the release");
    }

    /** Its temporary working directory and private TMPDIR exist while it runs, and go with the release. */
    @Test
    void release_removesTheDirectoriesItOwns() throws Exception {
        Path out = output();
        SupervisedProcess p = startTask(shell("echo \"tmp=$TMPDIR pwd=$(pwd -P)\"; echo ready; exec sleep 1035")
                .withTempWorkdir(false).withPrivateTmp(true).withOutputFile(out));
        awaitLine(out, "ready");
        Path workdir = p.workdir();
        Path tmp = p.privateTmp();
        assertTrue(Files.isDirectory(workdir) && Files.isDirectory(tmp), workdir + ", " + tmp);
        assertTrue(Files.readAllLines(out).contains("tmp=" + tmp + " pwd=" + workdir), Files.readAllLines(out).toString());
        Files.writeString(workdir.resolve("left-by-the-task"), "x");
        KillReport report = p.release();
        assertNotNull(report, "the sleep had to be killed");
        assertTrue(report.complete());
        assertFalse(Files.exists(workdir), workdir + " is left");
        assertFalse(Files.exists(tmp), tmp + " is left");
        assertTreeGone(p);
    }

    /** A foreign process (zt-exec's, say), adopted by its marker: its kill takes its setsid child too. */
    @Test
    void adopt_foreignProcess_killTakesItsTree() throws Exception {
        String marker = Names.marker();
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "setsid sleep 1036 & echo ready; exec sleep 1037")
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put(TaskTree.MARKER_VARIABLE, marker);
        pb.environment().putAll(env());
        Process process = pb.start();
        SupervisedProcess p = SupervisedProcess.adopt(process, marker, "process");
        started.add(p);
        assertEquals("ready", new BufferedReader(new InputStreamReader(process.getInputStream())).readLine());
        Await.until(END_WITHIN, "two processes in the tree", () -> p.processes().size() == 2);
        assertTrue(p.kill().complete());
        assertEquals(Signal.KILL, ended(p).likelySignal());
        assertTreeGone(p);
        assertTrue(Procs.withCmdline("sleep 1036").isEmpty(), "the setsid child is left");
        p.release();
    }

    /** Contained before it starts (a cgroup leaf where the machine allows one), then taken charge of. */
    @Test
    void prepareThenTake_foreignProcess_exit3() throws Exception {
        String marker = Names.marker();
        SupervisedProcess p = SupervisedProcess.prepareAdoption(marker, "process");
        started.add(p);
        ProcessBuilder pb = new ProcessBuilder(p.wrap(List.of("/bin/sh", "-c", "sleep 1038 & exit 3")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put(TaskTree.MARKER_VARIABLE, marker);
        pb.environment().putAll(env());
        Process process = pb.start();
        p.take(process);
        assertThrows(IllegalStateException.class, () -> p.take(process), "a second take");
        assertEquals(3, ended(p).code());
        assertEquals(SupervisedProcess.heldByTree(supervisor.terminate.Mechanism.AUTO), !p.inCgroup());
        assertFalse(p.treeEmpty(), "the sleep it left runs on");
        KillReport report = p.release();
        assertNotNull(report);
        assertTrue(report.complete());
        assertTreeGone(p);
    }
}
