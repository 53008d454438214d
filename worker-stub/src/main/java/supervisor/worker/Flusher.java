package supervisor.worker;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import supervisor.worker.protocol.FrameWriter;

/**
 * Writes the answers the call thread holds (see {@link FrameWriter#hold}) at most
 * {@link #DELAY_MICROS} after the first of them, should the call thread not have written them by
 * then: the next call may run for long, and an answer must not wait for it. One timer task per
 * run of held answers, not one per answer.
 */
final class Flusher {
    static final long DELAY_MICROS = 100;

    private final FrameWriter out;
    private final CallRunner calls;
    private final AtomicBoolean armed = new AtomicBoolean();
    private ScheduledExecutorService timer; // made on first use: a worker that never holds has no thread for it

    Flusher(FrameWriter out, CallRunner calls) {
        this.out = out;
        this.calls = calls;
    }

    /** The call thread has held an answer: it is written within {@link #DELAY_MICROS}. */
    void soon() {
        if (armed.compareAndSet(false, true)) {
            timer().schedule(this::flush, DELAY_MICROS, TimeUnit.MICROSECONDS);
        }
    }

    private void flush() {
        armed.set(false); // before the write: an answer held from now on arms it again
        try {
            out.flush();
        } catch (IOException e) {
            Exit.supervisorGone("cannot write answers: " + e.getMessage(), calls);
        }
    }

    private synchronized ScheduledExecutorService timer() {
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "supervisor-flush");
                thread.setDaemon(true);
                return thread;
            });
        }
        return timer;
    }
}
