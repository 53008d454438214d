package supervisor.cli.service;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import supervisor.log.Printable;
import supervisor.platform.Daemons;

/**
 * When a task counts as ready, and, once it is, whether it is still healthy ({@code --ready}):
 * <ul>
 *   <li>{@code start}: as soon as it runs (the default);</li>
 *   <li>{@code notify}: when it says {@code READY=1} on the notify socket it is given
 *       ({@link NotifyRelay}); health is then only "alive and not frozen";</li>
 *   <li>{@code tcp:PORT}: when a connection to 127.0.0.1:PORT succeeds, and healthy while one
 *       does;</li>
 *   <li>{@code file:PATH}: when the file exists (a relative path is taken from the task's working
 *       directory), and healthy while it does.</li>
 * </ul>
 * Immutable; {@link #check} may be called from any thread.
 */
public final class Readiness {
    public enum Kind { START, NOTIFY, TCP, FILE }

    /** Ready at start: today's behaviour, and the default. */
    public static final Readiness START = new Readiness(Kind.START, 0, null, "start");
    /** How long one probe may take: a connect that is neither accepted nor refused (a full backlog). */
    private static final int CONNECT_TIMEOUT_MILLIS = 1000;
    /** Between probes while waiting: from 10 ms, doubling, to at most this. */
    private static final long LONGEST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Kind kind;
    private final int port;
    private final String file;
    private final String text;

    private Readiness(Kind kind, int port, String file, String text) {
        this.kind = kind;
        this.port = port;
        this.file = file;
        this.text = text;
    }

    /**
     * {@code start}, {@code notify}, {@code tcp:PORT} (1 to 65535, ASCII digits) or
     * {@code file:PATH} (not empty).
     *
     * @throws IllegalArgumentException naming the value and what was expected
     */
    public static Readiness parse(String value) {
        if (value.equals("start")) {
            return START;
        }
        if (value.equals("notify")) {
            return new Readiness(Kind.NOTIFY, 0, null, value);
        }
        if (value.startsWith("tcp:")) {
            String digits = value.substring(4);
            int port = 0;
            for (int i = 0; i < digits.length() && port <= 65535; i++) {
                char c = digits.charAt(i);
                port = c >= '0' && c <= '9' ? port * 10 + (c - '0') : 65536;
            }
            if (digits.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException(Printable.quote(value) + ": expected tcp:PORT with a port from 1 to 65535"
                        + " (ASCII digits), to which a connection on 127.0.0.1 must succeed");
            }
            return new Readiness(Kind.TCP, port, null, "tcp:" + port);
        }
        if (value.startsWith("file:")) {
            String path = value.substring(5);
            if (path.isEmpty() || path.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(Printable.quote(value) + ": expected file:PATH, a file that the task"
                        + " makes when it is ready");
            }
            try {
                Path.of(path);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException(Printable.quote(value) + ": not a path: " + e.getReason());
            }
            return new Readiness(Kind.FILE, 0, path, "file:" + Printable.escape(path));
        }
        throw new IllegalArgumentException(Printable.quote(value) + " is not one of start, notify, tcp:PORT, file:PATH");
    }

    public Kind kind() {
        return kind;
    }

    /** True for the modes that can be checked again and again: {@code tcp:} and {@code file:}. */
    public boolean probed() {
        return kind == Kind.TCP || kind == Kind.FILE;
    }

    /** What readiness means here, for messages: "127.0.0.1:8080 accepts connections". */
    public String meaning() {
        return switch (kind) {
            case START -> "the task runs";
            case NOTIFY -> "the task says READY=1";
            case TCP -> "127.0.0.1:" + port + " accepts connections";
            case FILE -> Printable.escape(file) + " exists";
        };
    }

    /** What a failing probe means, for messages: "nothing accepts connections on 127.0.0.1:8080". */
    public String failure() {
        return switch (kind) {
            case START, NOTIFY -> "the task has not said READY=1";
            case TCP -> "nothing accepts connections on 127.0.0.1:" + port;
            case FILE -> Printable.escape(file) + " does not exist";
        };
    }

    /**
     * Probes once: for {@code tcp:}, a connect to 127.0.0.1:PORT (at most 1 s), closed at once;
     * for {@code file:}, whether the file exists, a relative path taken from {@code workdir}
     * (null: the supervisor's). {@code start} and {@code notify} cannot be probed: true.
     */
    public boolean check(Path workdir) {
        switch (kind) {
            case TCP -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MILLIS);
                    return true;
                } catch (IOException e) {
                    return false;
                }
            }
            case FILE -> {
                Path p = Path.of(file);
                return Files.exists(workdir == null || p.isAbsolute() ? p : workdir.resolve(p));
            }
            default -> {
                return true;
            }
        }
    }

    /**
     * Probes on a daemon thread until a probe succeeds, then calls {@code onReady} once; soon
     * after at most 100 ms between probes. Interrupt the thread to give up.
     */
    public Thread await(Path workdir, Runnable onReady) {
        Thread t = Daemons.start(() -> {
            long pause = TimeUnit.MILLISECONDS.toNanos(10);
            while (!Thread.currentThread().isInterrupted()) {
                if (check(workdir)) {
                    onReady.run();
                    return;
                }
                // A probe interval, not a synchronisation: the server comes up when it comes up.
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS);
            }
        }, "supervisor-ready-probe");
        return t;
    }

    @Override
    public String toString() {
        return text;
    }
}
