package supervisor.terminate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import supervisor.platform.ProcessId;
import supervisor.testing.Await;

/** The non-Linux fallback, exercised here on Linux: it kills what is still linked by parent pid. */
class PortableTerminatorIT {
    @Test
    void killsTheTaskAndItsLinkedDescendants() throws Exception {
        Process root = new ProcessBuilder("sh", "-c", "sleep 41 & sleep 42 & wait").start();
        PortableTerminator t = new PortableTerminator(new ProcessId((int) root.pid(), -1));
        Await.until(Duration.ofSeconds(10), "two sleeps under sh",
                () -> root.toHandle().descendants().count() == 2);
        long[] children = root.toHandle().descendants().mapToLong(ProcessHandle::pid).toArray();
        KillReport r = t.kill(System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
        assertTrue(r.complete(), "survivors: " + r.survivors());
        assertTrue(root.waitFor(5, TimeUnit.SECONDS));
        for (long pid : children) {
            Await.until(Duration.ofSeconds(5), "child " + pid + " gone",
                    () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        }
        assertTrue(t.empty());
    }
}
