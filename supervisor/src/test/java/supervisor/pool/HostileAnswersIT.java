package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import supervisor.testing.Procs;

/**
 * Issue 24: the worker is untrusted, the caller is not. A compromised worker
 * ({@link HostileAnswers}, a real worker JVM) answers calls of the caller's code with bytes built
 * to harm it: a class whose readObject would run code, deep and huge graphs, an array declared
 * 2^31-1 long, a HashSet graph that takes 2^100 steps to rebuild, bytes after the object, a bad
 * tag. Each ends as a clear error naming what was refused, in bounded time and memory (the test
 * JVM's heap is the bound), nothing of the answer is built, and the same worker goes on.
 */
class HostileAnswersIT {
    private static final String TEST_ID = UUID.randomUUID().toString();
    private static WorkerPool pool;

    @BeforeAll
    static void start() {
        pool = WorkerPool.start(PoolSettings.forClassPath().workers(1)
                .environment("SUPERVISOR_TEST_ID", TEST_ID)
                .jvmOption("-Xmx256m").jvmOption("-XX:TieredStopAtLevel=1")
                .jvmOption("-Dsupervisor.task.class=" + HostileAnswers.class.getName())
                .grace(Duration.ofMillis(300)).build());
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + TEST_ID, Duration.ofSeconds(5));
    }

    @AfterEach
    void theWorkerGoesOn() {
        String plain = "plain"; // captured: the hostile task reads its attack from the captured value
        assertEquals("plain", pool.call(() -> plain, Duration.ofSeconds(60)));
        assertEquals(0, pool.stats().crashed(), "the worker was never replaced");
    }

    /** The attack's outcome, bounded: the stage must complete within 30 s whatever it was sent. */
    private static Throwable answerTo(String attack) throws Exception {
        long start = System.nanoTime();
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> pool.submit(() -> attack).toCompletableFuture().get(30, TimeUnit.SECONDS));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.err.println("attack " + attack + ": refused in " + millis + " ms: " + e.getCause().getMessage());
        return e.getCause();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "gadget          | class supervisor.pool.HostileAnswers$Gadget is not on the allow-list",
        "deep            | it nests deeper than 20 objects",
        "hugeIntArray    | it declares a int array of 2147483647 elements, more than the",
        "hugeObjectArray | it declares an array of 2147483647 java.lang.Object references",
        "hashSetBomb     | it nests deeper than 20 objects",
        "manyObjects     | it holds more than 1000000 objects",
        "trailing        | 3 bytes follow it",
        "trailingObject  | 3 bytes follow the object",
        "hugeString      | a length of 2147483647 in 4 bytes",
        "hugeCount       | a count of 2147483647 values in 1 bytes",
        "badTag          | the worker's answer starts with an unknown tag 9",
        "empty           | the worker answered nothing",
    })
    void aHostileAnswerIsRefusedBeforeAnythingOfItIsBuilt(String attack, String why) throws Exception {
        Throwable e = answerTo(attack);
        assertInstanceOf(AnswerRefusedException.class, e);
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertFalse(HostileAnswers.Gadget.RAN.get(), "no code of the answer ran in the caller");
    }

    @Test
    void anExceptionHidingAGadgetArrivesAsTextOnly() throws Exception {
        Throwable e = answerTo("thrownGadget");
        TaskFailedException t = assertInstanceOf(TaskFailedException.class, e);
        assertEquals(IllegalStateException.class.getName(), t.remoteClass());
        assertTrue(t.getMessage().contains("HostileAnswers$GadgetException is not on the allow-list"), t.getMessage());
        assertTrue(t.remoteStackTrace().contains("from the gadget"), t.remoteStackTrace());
    }

    @Test
    void theDeepestHashSetBombTheBoundLetsThroughIsRebuiltInBoundedTime() throws Exception {
        // Each level of the graph is a level of the stream: the default bound of 20 lets through
        // a bomb of 18 levels, whose rebuilding hashes about 2^18 sets.
        long start = System.nanoTime();
        String attack = "shallowBomb";
        Object set = pool.submit(() -> attack).toCompletableFuture().get(30, TimeUnit.SECONDS);
        System.err.println("an 18-level HashSet bomb was rebuilt in "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
        assertInstanceOf(java.util.Set.class, set);
    }
}
