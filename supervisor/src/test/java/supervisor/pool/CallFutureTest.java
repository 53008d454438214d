package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A call's future is completed by its pool only: every public way to complete it is refused. */
class CallFutureTest {
    private static final byte[] CALLERS = {9, 9};
    private static final byte[] POOLS = {1, 2, 3};

    /** Each public method of CompletableFuture that completes or overwrites a future. */
    static final List<Consumer<CompletableFuture<byte[]>>> COMPLETERS = List.of(
            f -> f.complete(CALLERS),
            f -> f.completeExceptionally(new IllegalStateException("caller")),
            f -> f.obtrudeValue(CALLERS),
            f -> f.obtrudeException(new IllegalStateException("caller")),
            f -> f.completeAsync(() -> CALLERS),
            f -> f.completeAsync(() -> CALLERS, Runnable::run),
            f -> f.orTimeout(1, TimeUnit.NANOSECONDS),
            f -> f.completeOnTimeout(CALLERS, 1, TimeUnit.NANOSECONDS));

    private static CallFuture future() {
        return new Call(null, 1, new byte[0], 0).future;
    }

    /** Tries every completer as a caller would, through the CompletableFuture type it is seen as. */
    static void assertCallerCannotComplete(CompletableFuture<byte[]> f) {
        for (Consumer<CompletableFuture<byte[]>> c : COMPLETERS) {
            assertThrows(UnsupportedOperationException.class, () -> c.accept(f));
        }
    }

    @Test
    void aCallerCannotCompleteAPendingCall() {
        CallFuture f = future();
        assertCallerCannotComplete(f);
        assertFalse(f.isDone(), "still pending");

        assertTrue(f.succeed(POOLS), "the pool completes it");
        assertArrayEquals(POOLS, f.join());
    }

    @Test
    void aCallerCannotOverwriteAResultOrAFailure() {
        CallFuture ok = future();
        ok.succeed(POOLS);
        assertCallerCannotComplete(ok);
        assertArrayEquals(POOLS, ok.join());

        CallFuture failed = future();
        CallTimeoutException why = new CallTimeoutException("timed out", Duration.ofSeconds(1));
        failed.fail(why);
        assertCallerCannotComplete(failed);
        assertTrue(failed.isCompletedExceptionally());
        assertSame(why, assertThrows(CompletionException.class, failed::join).getCause());
    }

    @Test
    void thePoolCompletesOnceAndCancelStillWorks() {
        CallFuture f = future();
        assertTrue(f.cancel(true), "a call that no worker runs yet is simply cancelled");
        assertFalse(f.succeed(POOLS), "a cancelled call keeps its cancellation");
        assertFalse(f.fail(new CallTimeoutException("late", Duration.ofSeconds(1))));
        assertThrows(CancellationException.class, f::join);

        CallFuture twice = future();
        assertTrue(twice.succeed(POOLS));
        assertFalse(twice.succeed(CALLERS));
        assertArrayEquals(POOLS, twice.join());
    }

    @Test
    void dependentFuturesAreTheCallersOwn() {
        CallFuture f = future();
        CompletableFuture<Integer> length = f.thenApply(b -> b.length);
        assertTrue(length.complete(7), "a dependent future is a plain CompletableFuture");
        f.succeed(POOLS);
        assertArrayEquals(POOLS, f.join());
    }
}
