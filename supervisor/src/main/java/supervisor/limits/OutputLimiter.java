package supervisor.limits;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Consumer;
import supervisor.platform.Daemons;

/**
 * Passes a task's stdout and stderr on, byte for byte, until together they reach the cap; writes
 * exactly up to the cap, then discards the rest (so that the task never blocks on a full pipe
 * while it is being stopped) and says so once. Used only with --max-output: without a cap the
 * task writes straight to the supervisor's descriptors.
 */
public final class OutputLimiter {
    private final long cap;
    private final Runnable onExceeded;
    private long written;
    private boolean exceeded;
    private final Thread[] pumps = new Thread[2];

    public OutputLimiter(long cap, Runnable onExceeded) {
        this(cap, onExceeded, why -> { });
    }

    /**
     * @param onWriteFailed told once, with the reason, when the supervisor's own stdout or stderr
     *     refuses a write (a full disk, a closed pipe): the task's output is then being lost
     */
    public OutputLimiter(long cap, Runnable onExceeded, Consumer<String> onWriteFailed) {
        this.cap = cap;
        this.onExceeded = onExceeded;
        this.onWriteFailed = onWriteFailed;
    }

    private final Consumer<String> onWriteFailed;
    private boolean writeFailed; // guarded by this

    public void start(Process task) {
        pumps[0] = pump(task.getInputStream(), new FileOutputStream(FileDescriptor.out), "stdout");
        pumps[1] = pump(task.getErrorStream(), new FileOutputStream(FileDescriptor.err), "stderr");
    }

    private Thread pump(InputStream in, OutputStream out, String name) {
        Thread t = Daemons.start(() -> {
            byte[] buf = new byte[65536];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    int allowed = take(n);
                    if (allowed > 0) {
                        try {
                            out.write(buf, 0, allowed);
                        } catch (IOException e) {
                            // Our own stdout is gone: say so once, and keep draining the task's
                            // so that it never blocks on a full pipe while it is being stopped.
                            boolean first;
                            synchronized (OutputLimiter.this) {
                                first = !writeFailed;
                                writeFailed = true;
                            }
                            if (first) {
                                onWriteFailed.accept("cannot write the task's " + name + ": " + e.getMessage());
                            }
                        }
                    }
                }
            } catch (IOException e) {
                // the task's end of the pipe is gone
            }
        }, "supervisor-output-" + name);
        return t;
    }

    /** How many of n bytes may still be written; trips the limit when they are not all. */
    private int take(int n) {
        boolean trip;
        int allowed;
        synchronized (this) {
            allowed = (int) Math.max(0, Math.min(n, cap - written));
            written += allowed;
            trip = allowed < n && !exceeded;
            if (trip) {
                exceeded = true;
            }
        }
        if (trip) {
            onExceeded.run();
        }
        return allowed;
    }

    public synchronized boolean exceeded() {
        return exceeded;
    }

    /** Waits for both streams to end (the task and all its processes gone), up to {@code millis}. */
    public void join(long millis) {
        long end = System.currentTimeMillis() + millis;
        for (Thread t : pumps) {
            if (t != null) {
                try {
                    t.join(Math.max(1, end - System.currentTimeMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
