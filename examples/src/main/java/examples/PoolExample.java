package examples;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import supervisor.pool.CallTimeoutException;
import supervisor.pool.PoolSettings;
import supervisor.pool.WorkerPool;

/**
 * Calls a worker jar through a pool of two isolated worker JVMs:
 * {@code java -cp supervisor/target/supervisor.jar:examples/target/example.jar examples.PoolExample
 * examples/target/example-worker.jar}.
 */
public final class PoolExample {
    private PoolExample() {
    }

    public static void main(String[] args) throws Exception {
        PoolSettings settings = PoolSettings.builder(Path.of(args[0]))
                .workers(2)
                .callTimeout(Duration.ofSeconds(10))
                .grace(Duration.ofSeconds(1))
                .build();
        try (WorkerPool pool = WorkerPool.start(settings)) {
            List<CompletableFuture<byte[]>> calls = new ArrayList<>();
            for (String word : List.of("isolated", "warm", "workers")) {
                calls.add(pool.submit(word.getBytes(StandardCharsets.UTF_8)));
            }
            for (CompletableFuture<byte[]> call : calls) {
                System.out.println(new String(call.join(), StandardCharsets.UTF_8));
            }
            // A call that overruns its timeout is cancelled; the worker is killed if it ignores that.
            try {
                pool.submit("slow call".getBytes(StandardCharsets.UTF_8), Duration.ofMillis(300)).join();
            } catch (CompletionException e) {
                System.out.println("slow call: " + (e.getCause() instanceof CallTimeoutException
                        ? "timed out, as asked" : e.getCause()));
            }
            System.out.println(pool.stats());
        }
    }
}
