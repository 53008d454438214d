package supervisor.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import supervisor.platform.Cgroups;
import supervisor.platform.ProcStat;
import supervisor.pool.PoolSettings;
import supervisor.pool.WorkerCrashedException;
import supervisor.pool.WorkerPool;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;

/**
 * Each limit triggering for real, on a task that goes over it; and the supervisor's own memory
 * staying flat meanwhile. On this project's machines (root, a hybrid cgroup layout) the memory
 * and pids limits are cgroup v1 ones; the JVM fallback for memory is forced with
 * SUPERVISOR_CGROUP_LIMITS=0.
 */
class LimitsIT {
    private static final Duration LONG = Duration.ofSeconds(60);

    /** Samples a process's resident memory until it exits; returns the highest seen, in KiB. */
    /** The supervisor's peak VmRSS in KiB, sampled every 20 ms while it lives; see {@link #peak}. */
    private static AtomicLong watchRss(long pid) {
        AtomicLong max = new AtomicLong();
        Thread t = new Thread(() -> {
            Path status = Path.of("/proc/" + pid + "/status");
            while (Files.exists(status)) {
                try {
                    for (String line : Files.readAllLines(status)) {
                        if (line.startsWith("VmRSS:")) {
                            max.accumulateAndGet(Long.parseLong(line.replaceAll("\\D", "")), Math::max);
                        }
                    }
                    Thread.sleep(20);
                } catch (Exception e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return max;
    }

    /** The peak, which must rest on at least one sample: a watcher that saw nothing proves nothing. */
    private static long peak(AtomicLong rss) {
        assertTrue(rss.get() > 0, "no RSS sample of the supervisor was taken");
        return rss.get();
    }

    @Test
    void aTaskThatAllocatesPastTheCapIsKilledWith121() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--memory", "64m", Supervisor.TASKS.toString(), "--", "oom").start()) {
            AtomicLong rss = watchRss(s.pid());
            assertEquals(Limits.MEMORY_EXCEEDED, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("supervisor: task killed: memory limit 64M exceeded"), s.stderr());
            long peak = peak(rss);
            assertTrue(peak < 160 * 1024, "supervisor RSS " + peak + " KiB");
        }
    }

    @Test
    void aChildTheMemoryLimitKillsIsSaidEvenWhenTheTaskExits0() throws Exception {
        // The task JVM stays small; its shell child doubles a string until the cgroup's OOM killer
        // takes it (the biggest process there). The task then exits 0 by itself: its status is
        // kept, but the kill is said, and counted in the report.
        // Only a memory cgroup kills a child; without one the cap covers the task JVM's heaps alone.
        org.junit.jupiter.api.Assumptions.assumeTrue(Cgroups.writableV1Parent("memory").isPresent()
                || Cgroups.writableV2Parent().map(LimitsIT::hasMemoryController).orElse(false),
                "no writable memory cgroup here (needs root, or a systemd unit with Delegate=yes)");
        Path report = Files.createTempFile("supervisor-report", ".json");
        // ulimit -v bounds the child anyway, should the limit not hold: it must not eat the machine.
        try (Supervisor s = Supervisor.builder("run", "--memory", "96m", "--report", report.toString(),
                Supervisor.TASKS.toString(), "--", "sh",
                "ulimit -v 1000000; awk 'BEGIN { s = \"x\"; while (1) s = s s }'; exit 0", "wait-exit")
                .start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("supervisor: the memory limit 96M killed 1 process of the task"), s.stderr());
            String json = Files.readString(report);
            assertTrue(json.contains("\"limits_hit\":[\"memory\"]") || json.contains("\"limits_hit\": [\"memory\"]"), json);
        } finally {
            Files.deleteIfExists(report);
        }
    }

    private static boolean hasMemoryController(Path v2) {
        try {
            return List.of(Files.readString(v2.resolve("cgroup.controllers")).trim().split(" ")).contains("memory");
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void withoutAMemoryCgroupTheCapCoversTheJvmsHeaps() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--memory", "64m", Supervisor.TASKS.toString(), "--", "oom")
                .environment("SUPERVISOR_CGROUP_LIMITS", "0").start()) {
            assertEquals(Limits.MEMORY_EXCEEDED, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("caps the task JVM's heap, metaspace and direct memory only"), s.stderr());
            assertTrue(s.stderr().contains("supervisor: task stopped: memory limit 64M exceeded (the limit covers"),
                    s.stderr());
        }
    }

    /** With --max-output the task's output passes through the supervisor: a write that fails is said, and ends the run (125). */
    @Test
    void runMaxOutputWhoseOwnStdoutFailsStopsTheTaskWith125() throws Exception {
        String id = UUID.randomUUID().toString();
        ProcessBuilder pb = new ProcessBuilder(Supervisor.LAUNCHER.toAbsolutePath().toString(), "run", "--max-output", "10M",
                Supervisor.TASKS.toString(), "--", "write-bytes", "100000")
                .redirectOutput(new File("/dev/full")).redirectError(ProcessBuilder.Redirect.PIPE);
        pb.environment().put("SUPERVISOR_TEST_ID", id);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(125, p.exitValue(), err);
        assertTrue(err.contains("supervisor: cannot write the task's stdout: No space left on device"), err);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(10));
    }

    /** A task that handles SIGXCPU dies of the hard limit's SIGKILL: still 122, read from its CPU time. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Supervisor.Route.class)
    void runTaskThatHandlesSigxcpuIsStill122(Supervisor.Route route) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--cpu-time", "1s", "--timeout", "30s", Supervisor.TASKS.toString(),
                "--", "spin-through-xcpu").route(route).start()) {
            assertEquals(Limits.CPU_EXCEEDED, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("task: got SIGXCPU, spinning on"), s.stderr());
            assertTrue(s.stderr().contains("supervisor: task killed: CPU time limit 1s exceeded"), s.stderr());
        }
    }

    @Test
    void aTaskThatSpinsPastItsCpuTimeIsKilledWith122() throws Exception {
        long start = System.nanoTime();
        try (Supervisor s = Supervisor.builder("run", "--cpu-time", "1s", Supervisor.TASKS.toString(), "--", "spin").start()) {
            assertEquals(Limits.CPU_EXCEEDED, s.exitCode(LONG), s.stderr());
            assertTrue(s.stderr().contains("supervisor: task killed: CPU time limit 1s exceeded"), s.stderr());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
        }
    }

    @Test
    void aForkBombIsContainedThenKilledAndTheSupervisorSurvives() throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--max-procs", "60", "--timeout", "3s",
                Supervisor.TASKS.toString(), "--", "fork-many", "2000").start()) {
            int most = 0;
            while (s.process().isAlive()) {
                int tasks = 0;
                for (ProcStat p : s.taskProcesses()) {
                    tasks += threads(p.pid());
                }
                most = Math.max(most, tasks);
                s.process().waitFor(20, TimeUnit.MILLISECONDS);
            }
            int status = s.exitCode(LONG);
            assertTrue(status == 124 || status == 1, "status " + status + ": " + s.stderr());
            assertTrue(most <= 60, "the task's tree reached " + most + " processes and threads");
            assertTrue(s.stderr().contains("the task reached its process limit 60"), s.stderr());
        }
    }

    private static int threads(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("Threads:")) {
                    return Integer.parseInt(line.substring(8).trim());
                }
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }

    @Test
    void outputPastTheCapStopsTheTaskAndWhatCameBeforeIsWhole() throws Exception {
        long cap = 1 << 20;
        try (Supervisor s = Supervisor.builder("run", "--max-output", "1m", Supervisor.TASKS.toString(), "--",
                "write-bytes", Long.toString(200L << 20)).start()) {
            AtomicLong rss = watchRss(s.pid());
            assertEquals(Limits.OUTPUT_EXCEEDED, s.exitCode(LONG), s.stderr());
            byte[] out = s.stdoutBytes();
            assertEquals(cap, out.length);
            for (int i = 0; i < out.length; i++) {
                if (out[i] != (byte) ((i % 65536) * 31 + 7)) {
                    throw new AssertionError("byte " + i + " is not what the task wrote");
                }
            }
            assertTrue(s.stderr().contains("supervisor: task stopped: output limit 1M exceeded"), s.stderr());
            long peak = peak(rss);
            assertTrue(peak < 160 * 1024, "supervisor RSS " + peak + " KiB");
        }
    }

    @Test
    void limitsApplyToPoolWorkers() throws Exception {
        String id = UUID.randomUUID().toString();
        Path jar = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar");
        WorkerPool pool = WorkerPool.start(PoolSettings.builder(jar).workers(1)
                .environment("SUPERVISOR_TEST_ID", id).memory(64L << 20).build());
        try {
            Throwable t = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> pool.submit("alloc".getBytes(StandardCharsets.UTF_8)).get(60, TimeUnit.SECONDS)).getCause();
            assertTrue(t instanceof WorkerCrashedException && t.getMessage().startsWith("memory limit exceeded: worker w1"),
                    String.valueOf(t));
            assertEquals("ok", new String(pool.submit("echo ok".getBytes(StandardCharsets.UTF_8)).get(60, TimeUnit.SECONDS),
                    StandardCharsets.UTF_8));
        } finally {
            pool.close();
        }
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + id, Duration.ofSeconds(5));
    }

    @Test
    void limitOptionsAreChecked() throws Exception {
        String[][] cases = {{"--memory", "lots"}, {"--cpu-time", "forever"}, {"--max-procs", "-3"}, {"--max-output", "1x"}};
        for (String[] c : cases) {
            try (Supervisor s = Supervisor.builder("run", c[0], c[1], Supervisor.TASKS.toString()).start()) {
                assertEquals(2, s.exitCode(LONG));
                assertTrue(s.stderr().startsWith("supervisor: " + c[0] + ": "), s.stderr());
            }
        }
    }
}
