package supervisor.pool;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;

/**
 * A caller JVM with a small heap (run by {@link PoolHostileFramesIT} with -Xmx64m): one worker
 * sends a RESULT of a near-maximum frame for a call that is not running, then an echo must work.
 * Prints "stray: CLASS: MESSAGE" and "echo: TEXT" lines; exits 0, or 1 on an OutOfMemoryError.
 * Arguments: the worker jar, the test id.
 */
public final class SmallHeapCaller {
    private SmallHeapCaller() {
    }

    public static void main(String[] args) {
        PoolSettings settings = PoolSettings.builder(Path.of(args[0])).workers(1)
                .environment("SUPERVISOR_TEST_ID", args[1]).jvmOption("-Xmx64m")
                .grace(java.time.Duration.ofMillis(200)).jmx(false).build();
        int announced = settings.maxFrameBytes - 9 - 1024;
        try (WorkerPool pool = WorkerPool.start(settings)) {
            try {
                pool.submit(("strayresult " + announced).getBytes(StandardCharsets.UTF_8)).join();
                System.out.println("stray: answered");
            } catch (CompletionException e) {
                System.out.println("stray: " + e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
            }
            byte[] echo = pool.submit("echo after".getBytes(StandardCharsets.UTF_8)).join();
            System.out.println("echo: " + new String(echo, StandardCharsets.UTF_8));
        } catch (OutOfMemoryError e) {
            System.out.println("oom: " + e);
            System.exit(1);
        }
        System.out.flush();
    }
}
