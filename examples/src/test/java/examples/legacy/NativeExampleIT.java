package examples.legacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import supervisor.pool.CallTimeoutException;
import supervisor.pool.PoolSettings;
import supervisor.pool.PoolStats;
import supervisor.pool.WorkerCrashedException;
import supervisor.pool.WorkerPool;

/**
 * Issue 24, the real example: a native library built by this module's build (gcc) that works,
 * segfaults, hangs in native code and leaks, called through JNA behind a Java interface proxied
 * into a pool of real worker JVMs. The host keeps running its own work (a ticker) throughout,
 * every failure costs only a worker, the next call works, and nothing is left behind.
 */
class NativeExampleIT {
    private static final Path LIBRARY = Path.of(System.getProperty("legacy.library", "target/native/liblegacy.so"));

    @Test
    void theHostKeepsAnsweringWhileTheLibraryCrashesHangsAndLeaksInItsWorkers() throws Exception {
        assertTrue(Files.isRegularFile(LIBRARY), "the build made " + LIBRARY + " (build-native.sh, gcc)");
        String testId = UUID.randomUUID().toString();
        AtomicLong ticks = new AtomicLong();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        ticker.scheduleAtFixedRate(ticks::incrementAndGet, 0, 5, TimeUnit.MILLISECONDS);
        PoolSettings settings = PoolSettings.forClassPath().workers(2)
                .jvmOption("-Dlegacy.library=" + LIBRARY.toAbsolutePath()).jvmOption("-Xmx64m")
                .jvmOption("-XX:ErrorFile=" + LIBRARY.toAbsolutePath().getParent() + "/hs_err_pid%p.log")
                .environment("SUPERVISOR_TEST_ID", testId)
                .memory(256L << 20).grace(Duration.ofMillis(300))
                .workerOutput(line -> { }).build();
        try (WorkerPool pool = WorkerPool.start(settings)) {
            LegacyCodec codec = pool.proxy(LegacyCodec.class, NativeLegacyCodec.class);
            int sum = codec.checksum("legacy".getBytes(StandardCharsets.UTF_8));
            assertEquals(sum, codec.checksum("legacy".getBytes(StandardCharsets.UTF_8)), "the library works");

            long before = ticks.get();
            WorkerCrashedException crash = assertThrows(WorkerCrashedException.class, () -> codec.parse("!corrupt"));
            assertTrue(crash.getMessage().contains("SIGSEGV"), crash.getMessage());
            assertEquals(6, codec.parse("record"), "a new worker takes the next call");

            CallTimeoutException hang = assertThrows(CallTimeoutException.class, () -> codec.lookup("?forever"));
            assertEquals(Duration.ofMillis(500), hang.timeout(), "the method's own @Timeout");
            assertEquals('A', codec.lookup("A"));

            WorkerCrashedException leak = assertThrows(WorkerCrashedException.class, () -> codec.cache(1024));
            assertTrue(leak.getMessage().contains("memory"), leak.getMessage());
            assertEquals(16L << 20, codec.cache(16));
            assertTrue(ticks.get() > before, "the host's own work went on: " + before + " -> " + ticks.get());

            PoolStats stats = pool.stats();
            assertEquals(1, stats.timedOut(), stats.toString());
            assertEquals(2, stats.crashed(), stats.toString());
        } finally {
            ticker.shutdownNow();
        }
        assertNoneLeft(testId);
    }

    /** No process carrying the test's marker in its environment, within 5 s. */
    private static void assertNoneLeft(String testId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<Long> left;
        do {
            left = ProcessHandle.allProcesses().map(ProcessHandle::pid).filter(pid -> marked(pid, testId)).toList();
            if (left.isEmpty()) {
                return;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() < deadline);
        assertNotEquals(List.of(), List.of(), "processes left behind: " + left);
    }

    private static boolean marked(long pid, String testId) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.UTF_8)
                    .contains("SUPERVISOR_TEST_ID=" + testId);
        } catch (IOException | RuntimeException e) {
            return false; // gone, or not ours to read
        }
    }
}
