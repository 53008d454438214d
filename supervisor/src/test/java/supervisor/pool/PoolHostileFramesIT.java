package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import supervisor.testing.Procs;

/**
 * What a worker sends cannot exhaust the caller's heap: a RESULT header for a call that is not
 * running is refused before its payload is read.
 */
class PoolHostileFramesIT {
    @Test
    void aStrayNearMaximumResultIsAProtocolErrorInA64MiBHeap() throws Exception {
        String testId = UUID.randomUUID().toString();
        Process p = new ProcessBuilder(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx64m",
                "-cp", System.getProperty("java.class.path"), SmallHeapCaller.class.getName(),
                WorkerPoolIT.WORKER_JAR.toAbsolutePath().toString(), testId))
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out;
        try {
            // Read to the end: bounded, the child exits by itself (the waitFor below is the deadline's proof).
            java.util.concurrent.Future<String> text = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            }).submit(() -> new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the caller JVM did not finish");
            out = text.get(5, TimeUnit.SECONDS);
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("stray: ProtocolErrorException: worker w1 broke the protocol: sent RESULT"), out);
        assertTrue(out.contains("while call 1 was running"), out);
        assertTrue(out.contains("echo: after"), out);
        assertTrue(!out.contains("OutOfMemoryError"), out);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
    }
}
