package supervisor.pool;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import supervisor.serial.Answer;
import supervisor.serial.AnswerDecoder;
import supervisor.serial.CallEncoder;
import supervisor.worker.WorkerCallable;

/**
 * Calls of the caller's own code on a pool started with {@link PoolSettings#forClassPath()}: the
 * code goes out serialized, the answer comes back under the pool's allow-list and becomes the
 * code's value, the code's own exception, or one of the pool's.
 */
final class CodeCalls {
    private final WorkerPool pool;

    CodeCalls(WorkerPool pool) {
        this.pool = pool;
    }

    /**
     * What one call asks of its answer: the classes it declared (allowed besides the list), the
     * type the value must have, and the loader of the caller's classes.
     */
    record Expect(Set<Class<?>> declared, Class<?> type, ClassLoader loader) {
        static Expect of(Class<?> writer) {
            ClassLoader loader = writer.getClassLoader();
            return new Expect(Set.of(), Object.class, loader != null ? loader : ClassLoader.getSystemClassLoader());
        }
    }

    CallFuture send(WorkerCallable<?, ?> code, Class<?> origin, Duration timeout) {
        checkRunsCode();
        return pool.submit(CallEncoder.encode(code, origin, pool.settings.ownClassPath), timeout);
    }

    /** Sends an input made by CallEncoder (a proxy's method call). */
    CallFuture send(byte[] input, Duration timeout) {
        return pool.submit(input, timeout);
    }

    /** @throws IllegalStateException when the pool's workers run a worker jar's task */
    void checkRunsCode() {
        PoolSettings settings = pool.settings;
        if (settings.workerJar != null) {
            throw new IllegalStateException("the workers of pool " + pool.name() + " run the task of "
                    + settings.workerJar + ", not the caller's code: start the pool with PoolSettings.forClassPath()");
        }
    }

    /** Waits for the call's answer; the value, or throws what the caller is to see. */
    Object await(CallFuture future, Expect expect) throws Throwable {
        byte[] answer;
        try {
            answer = future.get();
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for a call in pool " + pool.name()
                    + "; the call was cancelled");
        } catch (ExecutionException e) {
            throw e.getCause(); // the pool's own: a timeout, a crash, a closed pool...
        } catch (CancellationException e) {
            // Only submit cancels a call the caller cannot see: interrupted while it waited for room.
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted before a call in pool " + pool.name() + " was sent");
        }
        return outcome(answer, expect);
    }

    /**
     * The call's value as a future that only the pool completes, with the code's value or its own
     * exception, not wrapped; cancelling it cancels the call.
     */
    <T> CompletionStage<T> stage(CallFuture future, Expect expect) {
        CodeFuture<T> result = new CodeFuture<>(future);
        future.whenComplete((answer, failure) -> {
            if (failure != null) {
                result.setFailed(failure instanceof CompletionException c && c.getCause() != null
                        ? c.getCause() : failure);
                return;
            }
            try {
                @SuppressWarnings("unchecked")
                T value = (T) outcome(answer, expect);
                result.set(value);
            } catch (Throwable t) {
                result.setFailed(t);
            }
        });
        return result;
    }

    /** The future of a submitted call of the caller's code. */
    private static final class CodeFuture<T> extends OwnedFuture<T> {
        private final CallFuture call;

        CodeFuture(CallFuture call) {
            this.call = call;
        }

        /** Cancels the call too: a cancel to its worker, a kill after the grace if it goes on. */
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            call.cancel(mayInterruptIfRunning);
            return super.cancel(mayInterruptIfRunning);
        }

        /** Itself: cancelling it cancels the call, and only the pool completes it. */
        @Override
        public CompletableFuture<T> toCompletableFuture() {
            return this;
        }
    }

    /** Decodes an answer: the value, or throws the code's exception or the pool's refusal. */
    private Object outcome(byte[] answer, Expect expect) throws Throwable {
        Answer a = AnswerDecoder.decode(answer, pool.settings.allowList(), expect.declared(), expect.loader());
        if (a instanceof Answer.Value v) {
            Object value = v.value();
            if (value != null && !expect.type().isInstance(value)) {
                throw new AnswerRefusedException("a call in pool " + pool.name() + " answered a "
                        + value.getClass().getName() + ", not the " + expect.type().getName() + " it declares");
            }
            return value;
        }
        if (a instanceof Answer.Thrown t) {
            throw t.thrown();
        }
        if (a instanceof Answer.ThrownText t) {
            throw new TaskFailedException(t.text().className(), t.text().message(), t.text().stackTrace(),
                    "not rebuilt in the caller: " + t.why());
        }
        throw new AnswerRefusedException("the answer of a call in pool " + pool.name() + " was not taken: "
                + ((Answer.Refused) a).why());
    }

    /** Throws {@code t} whatever it is: the code's checked exception passes the compiler as its E. */
    @SuppressWarnings("unchecked")
    static <X extends Throwable> RuntimeException sneaky(Throwable t) throws X {
        throw (X) t;
    }
}
