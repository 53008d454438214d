package supervisor.worker;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameWriter;

/**
 * Sends HEARTBEAT every period from a daemon thread of its own, so heartbeats keep coming while a
 * call runs. They only inform the supervisor; nothing here ever stops the worker because the
 * supervisor is slow or silent.
 */
final class HeartbeatThread {
    private HeartbeatThread() {}

    /** Starts the heartbeat; does nothing if {@code periodMillis} is 0. */
    static void start(long periodMillis, FrameWriter out, CallRunner calls) {
        if (periodMillis == 0) {
            return;
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "supervisor-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleAtFixedRate(() -> {
            try {
                out.write(Frame.heartbeat(calls.completedCalls()));
            } catch (IOException e) {
                Exit.supervisorGone("cannot write a HEARTBEAT: " + e.getMessage(), calls);
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }
}
