package supervisor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class CallCancellationTest {

    @AfterEach
    void clearInterrupt() {
        Thread.interrupted();
    }

    @Test
    void awaitTimesOutWhenNotCancelled() {
        CallCancellation cancellation = new CallCancellation(1);
        long start = System.nanoTime();
        assertFalse(cancellation.await(Duration.ofMillis(50)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50));
        assertFalse(cancellation.await(Duration.ofMillis(-5)));
        cancellation.throwIfCancelled();
    }

    @Test
    void cancelWakesAWaiterWhichFindsItselfInterrupted() throws Exception {
        CallCancellation cancellation = new CallCancellation(9);
        CompletableFuture<String> waiter = new CompletableFuture<>();
        Thread thread = new Thread(() -> waiter.complete(cancellation.await(Duration.ofMinutes(5))
                + " interrupted=" + Thread.currentThread().isInterrupted()));
        thread.start();
        cancellation.cancel(thread);
        assertEquals("true interrupted=true", waiter.get(10, TimeUnit.SECONDS));
        assertTrue(cancellation.isCancelled());
        CancellationException e = assertThrows(CancellationException.class, cancellation::throwIfCancelled);
        assertEquals("call 9 was cancelled", e.getMessage());
        assertTrue(cancellation.await(Duration.ofDays(365_000_000L)), "huge timeouts do not overflow");
    }

    @Test
    void anInterruptThatIsNotACancellationEndsTheWaitAndStaysSet() {
        CallCancellation cancellation = new CallCancellation(1);
        Thread.currentThread().interrupt();
        assertFalse(cancellation.await(Duration.ofMinutes(5)));
        assertTrue(Thread.currentThread().isInterrupted());
    }
}
