package supervisor.pool;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A future that only its pool completes: the caller's {@code complete},
 * {@code completeExceptionally}, {@code obtrude*}, {@code completeAsync}, {@code orTimeout} and
 * {@code completeOnTimeout} throw {@link UnsupportedOperationException} and change nothing, since
 * a result set by the caller would leave the call running in its worker and the pool's counts
 * wrong. The pool completes it with {@link #set} and {@link #setFailed}.
 */
abstract class OwnedFuture<T> extends CompletableFuture<T> {
    /** Completes it with {@code value}: the pool's way, not the caller's. */
    final boolean set(T value) {
        return super.complete(value);
    }

    /** Completes it with {@code why}: the pool's way, not the caller's. */
    final boolean setFailed(Throwable why) {
        return super.completeExceptionally(why);
    }

    /** Refused: only the pool completes a call. */
    @Override
    public boolean complete(T value) {
        throw refused("complete");
    }

    /** Refused: only the pool completes a call; {@code cancel} stops it. */
    @Override
    public boolean completeExceptionally(Throwable ex) {
        throw refused("completeExceptionally");
    }

    /** Refused: only the pool completes a call. */
    @Override
    public void obtrudeValue(T value) {
        throw refused("obtrudeValue");
    }

    /** Refused: only the pool completes a call. */
    @Override
    public void obtrudeException(Throwable ex) {
        throw refused("obtrudeException");
    }

    /** Refused: only the pool completes a call. */
    @Override
    public CompletableFuture<T> completeAsync(Supplier<? extends T> supplier, Executor executor) {
        throw refused("completeAsync");
    }

    /** Refused: only the pool completes a call. */
    @Override
    public CompletableFuture<T> completeAsync(Supplier<? extends T> supplier) {
        throw refused("completeAsync");
    }

    /** Refused: a call's timeout is given when it is submitted, which then also stops it in its worker. */
    @Override
    public CompletableFuture<T> orTimeout(long timeout, TimeUnit unit) {
        throw refused("orTimeout");
    }

    /** Refused: only the pool completes a call. */
    @Override
    public CompletableFuture<T> completeOnTimeout(T value, long timeout, TimeUnit unit) {
        throw refused("completeOnTimeout");
    }

    private static UnsupportedOperationException refused(String method) {
        return new UnsupportedOperationException(method + ": a call's future is completed by its pool only"
                + " (cancel(true) stops the call; a timeout given when it is submitted bounds it)");
    }
}
