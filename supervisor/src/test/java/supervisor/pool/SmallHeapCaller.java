package supervisor.pool;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;

/**
 * A caller JVM of its own, run by the tests with a small heap (-Xmx...): one worker gets a first
 * call, then "echo after". Prints "first: ok" or "first: CLASS: MESSAGE", then "after: TEXT";
 * "oom: ..." and status 1 on an OutOfMemoryError of this JVM's own code.
 * Arguments: the worker jar, the test id, the maximum frame, the first call's input.
 */
public final class SmallHeapCaller {
    private SmallHeapCaller() {
    }

    public static void main(String[] args) {
        PoolSettings settings = PoolSettings.builder(Path.of(args[0])).workers(1)
                .environment("SUPERVISOR_TEST_ID", args[1]).jvmOption("-Xmx200m")
                .maxFrameBytes(Integer.parseInt(args[2])).callTimeout(Duration.ofSeconds(60))
                .grace(Duration.ofMillis(200)).jmx(false).build();
        try (WorkerPool pool = WorkerPool.start(settings)) {
            try {
                pool.submit(args[3].getBytes(StandardCharsets.UTF_8)).join();
                System.out.println("first: ok");
            } catch (CompletionException e) {
                System.out.println("first: " + e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
            }
            byte[] echo = pool.submit("echo after".getBytes(StandardCharsets.UTF_8)).join();
            System.out.println("after: " + new String(echo, StandardCharsets.UTF_8));
        } catch (OutOfMemoryError e) {
            System.out.println("oom: " + e);
            System.exit(1);
        }
    }
}
