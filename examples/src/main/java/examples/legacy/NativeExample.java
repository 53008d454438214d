package examples.legacy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.pool.CallTimeoutException;
import supervisor.pool.PoolSettings;
import supervisor.pool.PoolStats;
import supervisor.pool.WorkerCrashedException;
import supervisor.pool.WorkerPool;

/**
 * A legacy native library (examples/src/main/c/legacy.c, built by this module's build) that
 * crashes, hangs and leaks, wrapped behind a Java interface and called through a pool of two
 * worker JVMs. The host keeps answering (a ticker counts on) while workers crash, hang and are
 * replaced. Run: {@code java -cp supervisor/target/supervisor.jar:examples/target/example.jar
 * examples.legacy.NativeExample examples/target/native/liblegacy.so}.
 */
public final class NativeExample {
    private NativeExample() {
    }

    public static void main(String[] args) throws Exception {
        Path library = Path.of(args.length > 0 ? args[0] : "examples/target/native/liblegacy.so").toAbsolutePath();
        AtomicLong ticks = new AtomicLong();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "host-ticker");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleAtFixedRate(ticks::incrementAndGet, 0, 10, TimeUnit.MILLISECONDS);
        PoolSettings settings = PoolSettings.forClassPath()
                .workers(2)
                .jvmOption("-Dlegacy.library=" + library)
                .jvmOption("-Xmx64m")
                // A JVM that crashes writes hs_err_pidN.log to its working directory by default.
                .jvmOption("-XX:ErrorFile=" + System.getProperty("java.io.tmpdir") + "/legacy-hs_err_pid%p.log")
                .workerOutput(line -> { }) // the workers' stderr (a crash's report): not shown here
                .memory(256L << 20)
                .grace(Duration.ofMillis(300))
                .build();
        try (WorkerPool pool = WorkerPool.start(settings)) {
            LegacyCodec codec = pool.proxy(LegacyCodec.class, NativeLegacyCodec.class);
            say("checksum(\"legacy\") = " + codec.checksum("legacy".getBytes(StandardCharsets.UTF_8)), ticks);
            try {
                codec.parse("!corrupt");
            } catch (WorkerCrashedException e) {
                say("parse(\"!corrupt\") crashed its worker: " + withoutStderr(e.getMessage()), ticks);
            }
            say("parse(\"record\") = " + codec.parse("record"), ticks);
            try {
                codec.lookup("?forever");
            } catch (CallTimeoutException e) {
                say("lookup(\"?forever\") hung in native code: " + e.getMessage(), ticks);
            }
            say("lookup(\"A\") = " + codec.lookup("A"), ticks);
            try {
                codec.cache(1024);
            } catch (WorkerCrashedException e) {
                say("cache(1024) leaked past 256M: " + e.getMessage(), ticks);
            }
            say("cache(16) = " + codec.cache(16) + " bytes", ticks);
            PoolStats s = pool.stats();
            say("calls " + s.submitted() + ": " + s.succeeded() + " succeeded, " + s.crashed() + " crashed, "
                    + s.timedOut() + " timed out; workers started " + s.workerStarts(), ticks);
        } finally {
            ticker.shutdownNow();
        }
    }

    /** The message without the worker's last stderr lines, which repeat the JVM's crash banner. */
    private static String withoutStderr(String message) {
        int at = message.indexOf("; its last stderr lines");
        return at < 0 ? message : message.substring(0, at);
    }

    private static void say(String line, AtomicLong ticks) {
        System.out.println(line + " [host ticks: " + ticks.get() + "]");
    }
}
