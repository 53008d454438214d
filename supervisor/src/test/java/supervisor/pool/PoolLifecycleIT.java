package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/** How a pool starts, fails to start, and ends, whoever calls it from where. */
class PoolLifecycleIT {
    private final String testId = UUID.randomUUID().toString();

    private PoolSettings.Builder settings(int workers) {
        return PoolSettings.builder(WorkerPoolIT.WORKER_JAR).workers(workers)
                .environment("SUPERVISOR_TEST_ID", testId)
                .jvmOption("-Xmx64m").jvmOption("-XX:TieredStopAtLevel=1")
                .grace(Duration.ofMillis(200))
                .workerOutput(line -> { });
    }

    @AfterEach
    void nothingLeftBehind() {
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
    }

    @Test
    void closingWhileAReplacementStartsFailsNothing() throws Exception {
        // Found by the attack pass: close's wake-up reached a worker still starting as an event
        // its start did not expect, and the slot thread failed with a ClassCastException.
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("supervisor");
        java.util.concurrent.ConcurrentLinkedQueue<String> severe = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
                    severe.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            WorkerPool p = WorkerPool.start(settings(1).build());
            try {
                CallFuture crash = p.submit("exit 3".getBytes(StandardCharsets.UTF_8));
                assertThrows(java.util.concurrent.ExecutionException.class, () -> crash.get(60, TimeUnit.SECONDS));
                // The replacement is spawned (counted) and not ready yet: a JVM takes 100s of ms to say READY.
                Await.until(Duration.ofSeconds(30), "the replacement to be spawned", () -> p.stats().workerStarts() == 2);
                assertEquals(0, p.readyWorkers(), "close must come while the replacement starts");
                long start = System.nanoTime();
                p.close();
                assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 10_000);
                assertTrue(severe.isEmpty(), "errors logged: " + severe);
            } finally {
                p.shutdownNow();
            }
        } finally {
            logger.removeHandler(handler);
        }
    }

    @Test
    void aStartFromAnInterruptedThreadThrowsAndLeavesNothing() throws Exception {
        try (WorkerPool warm = WorkerPool.start(settings(1).build())) {
            warm.submit("echo warm".getBytes(StandardCharsets.UTF_8)).join();
        }
        // The workers' private tmp directories go under java.io.tmpdir: one of this test's own,
        // which other tests (and other JVMs) do not use.
        Path tmp = Files.createTempDirectory("supervisor-lifecycle");
        String tmpdir = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", tmp.toString());
        try {
            Leftovers before = Leftovers.now();
            Thread.currentThread().interrupt();
            try {
                assertThrows(WorkerStartException.class, () -> WorkerPool.start(settings(2).build()));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt is kept");
            }
            // threads by name, /proc/self/fd, children (the guardian is one), and the workers' tmp
            before.assertBackTo(Duration.ofSeconds(10));
            Await.until(Duration.ofSeconds(5), "the workers' private tmp is removed", () -> {
                try (Stream<Path> s = Files.list(tmp)) {
                    return s.findAny().isEmpty();
                } catch (IOException e) {
                    return false;
                }
            });
        } finally {
            System.setProperty("java.io.tmpdir", tmpdir);
            tmp.toFile().delete(); // empty unless the test failed
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCallbackThatSubmitsCallsAndWaitsForThemFinishesWithOneWorker() throws Exception {
        try (WorkerPool pool = WorkerPool.start(settings(1).build())) {
            CompletableFuture<String> nested = pool.submit(bytes("echo outer"))
                    .thenApply(outer -> {
                        byte[] inner = pool.submit(bytes("echo inner"), Duration.ofSeconds(5)).join();
                        return new String(outer, StandardCharsets.UTF_8) + "+" + new String(inner, StandardCharsets.UTF_8)
                                + " on " + Thread.currentThread().getName();
                    });
            String got = nested.get(20, TimeUnit.SECONDS);
            assertTrue(got.startsWith("outer+inner on "), got);
            assertTrue(got.endsWith("-completion"), "not on a thread of the pool's own: " + got);
            // A callback that waits for calls without get or join on their futures (allOf): their
            // completions must not wait behind it.
            CompletableFuture<String> all = pool.submit(bytes("echo outer")).thenApply(outer -> {
                CallFuture a = pool.submit(bytes("echo a"));
                CallFuture b = pool.submit(bytes("echo b"));
                CompletableFuture.allOf(a, b).orTimeout(10, TimeUnit.SECONDS).join();
                return new String(a.getNow(null), StandardCharsets.UTF_8) + new String(b.getNow(null), StandardCharsets.UTF_8);
            });
            assertEquals("ab", all.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeCalledInACallbackIsBoundedAndLeavesNoWorker() throws Exception {
        WorkerPool pool = WorkerPool.start(settings(1).build());
        CompletableFuture<Long> closed = pool.submit(bytes("echo x")).thenApply(r -> {
            long start = System.nanoTime();
            pool.close();
            long took = System.nanoTime() - start;
            // After close returns, no worker of the pool is left.
            assertEquals(0, Procs.withEnv("SUPERVISOR_TEST_ID=" + testId).size(), "a worker outlived close");
            return took;
        });
        long took = closed.get(20, TimeUnit.SECONDS);
        assertTrue(took < TimeUnit.SECONDS.toNanos(5), "close took " + took / 1_000_000 + " ms");
    }
}
