package supervisor.cli.service;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import supervisor.log.Log;
import supervisor.log.Reasons;
import supervisor.platform.Daemons;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;

/**
 * The systemd notify protocol (sd_notify): datagrams of "KEY=value" lines to the AF_UNIX socket
 * named by NOTIFY_SOCKET, a path or an abstract name ('@'). Without NOTIFY_SOCKET every method
 * does nothing, and no thread is ever started.
 *
 * <p>Notifying must never hold up supervision: systemd may be gone, or the socket may belong to
 * something that never reads it, whose full queue would block a plain sendto forever. So the
 * public methods only put the message in a small queue and return at once; one daemon thread,
 * started on the first message, sends them in order, each without blocking (EAGAIN when the
 * receiver's queue is full). A message that cannot be sent, or that finds the queue full, is
 * dropped; the first such loss in the life of the process is said in one warning line, and no
 * other: a service must not fail, nor fill its journal, because its manager went away.
 *
 * <p>Free text (the STATUS= value) is escaped ({@link #escape}) so that no input, a jar name with
 * a newline say, can add a line, and so a field, to the message. Thread-safe.
 */
public final class Notifier {
    private static final Notifier NONE = new Notifier(null);
    /** Messages waiting for the sender. They go out in microseconds, so more means it is stuck. */
    private static final int CAPACITY = 16;
    /** At exit, how long to wait for messages still queued (a last STOPPING=1, say). */
    private static final long FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** One warning for the life of the process, whichever Notifier failed. */
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final String socket;
    private final BlockingQueue<byte[]> queue;
    private Thread sender; // guarded by this
    private int pending; // queued or being sent; guarded by this

    private Notifier(String socket) {
        this.socket = socket;
        this.queue = socket == null ? null : new ArrayBlockingQueue<>(CAPACITY);
    }

    public static Notifier fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        return socket == null || socket.isEmpty() ? NONE : new Notifier(socket);
    }

    public boolean enabled() {
        return socket != null;
    }

    /** The task runs: READY=1 with the supervisor's pid as the main pid, and a status line. Returns at once. */
    public void ready(String status) {
        send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\n" + statusField(status));
    }

    /** A new status line. Returns at once. */
    public void status(String status) {
        send(statusField(status));
    }

    /** A stop begins: STOPPING=1 and a status line. Returns at once. */
    public void stopping(String status) {
        send("STOPPING=1\n" + statusField(status));
    }

    /** One watchdog beat. Returns at once. */
    public void watchdog() {
        send("WATCHDOG=1");
    }

    private static String statusField(String text) {
        return "STATUS=" + escape(text);
    }

    /**
     * The text with every control character (below 0x20, 0x7f, and the C1 controls 0x80-0x9f)
     * replaced by a visible escape: {@code \n}, {@code \r}, {@code \t}, or {@code \xNN}. The
     * result holds no line break, so as a value it cannot add a KEY=VALUE line to a message.
     */
    static String escape(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean control = c < 0x20 || c >= 0x7f && c < 0xa0;
            if (control && b == null) {
                b = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (b == null) {
                continue;
            }
            if (!control) {
                b.append(c);
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\t') {
                b.append("\\t");
            } else {
                b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            }
        }
        return b == null ? text : b.toString();
    }

    void send(String message) {
        if (socket == null) {
            return;
        }
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            if (!startSender()) {
                return;
            }
            if (queue.offer(bytes)) {
                pending++;
                return;
            }
        }
        warnOnce("cannot notify systemd: " + CAPACITY + " notifications are still waiting to be sent to "
                + escape(socket) + "; dropping the newer ones");
    }

    /** Starts the sender on the first message (and its flush at exit); false if it cannot run. */
    private boolean startSender() {
        if (sender != null) {
            return true;
        }
        Thread t = Daemons.unstarted(this::sendQueued, "supervisor-notify");
        try {
            t.start();
        } catch (OutOfMemoryError e) { // "unable to create native thread": no notifications, no stall
            warnOnce("cannot notify systemd: cannot start a thread: " + e.getMessage());
            return false;
        }
        sender = t;
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(this::flush, "supervisor-notify-flush"));
        } catch (IllegalStateException e) {
            // already exiting: what is queued now goes out if the sender is quick enough
        }
        return true;
    }

    private void sendQueued() {
        while (true) {
            byte[] message;
            try {
                message = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                Platform.posix().sendDatagram(socket, message);
            } catch (RuntimeException | LinkageError e) {
                // A PlatformException names the socket and errno; anything else is a bug, or JNA
                // that could not load (LinkageError). Either way, systemd does not hear this one.
                String why = Reasons.of(e);
                warnOnce("cannot notify systemd: " + why
                        + "; supervision goes on, and further failed notifications are not reported");
            }
            synchronized (this) {
                pending--;
                notifyAll();
            }
        }
    }

    /**
     * At exit, waits a little for the messages still queued: the last one is often STOPPING=1,
     * sent moments before the end. Bounded, since the sends never block.
     */
    private synchronized void flush() {
        long end = System.nanoTime() + FLUSH_NANOS;
        try {
            while (pending > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void warnOnce(String message) {
        if (WARNED.compareAndSet(false, true)) {
            Log.warn(message);
        }
    }
}
