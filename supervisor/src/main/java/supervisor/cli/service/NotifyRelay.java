package supervisor.cli.service;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import supervisor.log.Log;
import supervisor.platform.Daemons;
import supervisor.platform.DatagramReceiver;
import supervisor.platform.PlatformException;

/**
 * Reads the notify socket a task was given ({@code --ready notify}) and passes on what the
 * supervisor's own service manager may hear from it: {@code READY=1} and {@code STATUS=}, nothing
 * else. The task is not the main process of the unit, and it is not trusted: {@code MAINPID=} from
 * it would make systemd watch the wrong process, {@code STOPPING=1}, {@code WATCHDOG=1},
 * {@code EXTEND_TIMEOUT_USEC=}, {@code FDSTORE=} would speak for the supervisor. Those are
 * dropped (said at {@code -v}, the first few).
 *
 * <p>One daemon thread reads until the socket is closed (by the task's release). A
 * {@code STATUS=} value is relayed at once through the {@link Notifier} (which escapes it); the
 * first {@code READY=1} is handed to {@code onReady}, with the {@code STATUS=} value of the same
 * datagram if any, for the supervisor's loop to decide on; later ones are ignored.
 */
public final class NotifyRelay {
    /**
     * The longest datagram read: systemd's own (PIPE_BUF), which drops longer ones too; a task's
     * message is a few lines. A longer one is said in one line, with how it began.
     */
    private static final int LIMIT = 4096;
    /** How much of a dropped datagram the line shows. */
    private static final int SHOWN = 60;
    /** How many dropped lines are said at -v, so that a chatty task cannot fill stderr. */
    private static final int SAID_AT_MOST = 10;

    private NotifyRelay() {
    }

    /** Starts the reader; returns at once. */
    public static Thread start(DatagramReceiver socket, Notifier notifier, Consumer<String> onReady) {
        AtomicInteger said = new AtomicInteger();
        Thread t = Daemons.start(() -> {
            boolean ready = false;
            while (!socket.closed()) {
                byte[] datagram;
                try {
                    datagram = socket.receive(LIMIT);
                } catch (PlatformException e) {
                    Log.warn("cannot read the task's notify socket: " + e.getMessage() + "; its READY=1 and STATUS= are lost");
                    return;
                }
                if (datagram == null) {
                    continue;
                }
                if (datagram.length > LIMIT) {
                    String begins = new String(datagram, 0, SHOWN, StandardCharsets.UTF_8);
                    Log.warn("dropped a datagram of more than " + LIMIT + " bytes from the task's notify socket"
                            + " (as systemd does: a READY=1 or STATUS= in it does not count), beginning '"
                            + Notifier.escape(begins) + "...'");
                    continue;
                }
                String status = null;
                boolean readyNow = false;
                for (String line : new String(datagram, StandardCharsets.UTF_8).split("\n")) {
                    if (line.equals("READY=1")) {
                        readyNow = true;
                    } else if (line.startsWith("STATUS=")) {
                        status = line.substring(7);
                    } else if (!line.isEmpty() && said.getAndIncrement() < SAID_AT_MOST) {
                        int eq = line.indexOf('=');
                        Log.debug("ignored from the task's notify socket: " + Notifier.escape(eq > 0 ? line.substring(0, eq + 1) + "..." : line)
                                + " (only READY=1 and STATUS= are relayed)");
                    }
                }
                if (readyNow && !ready) {
                    ready = true;
                    onReady.accept(status);
                } else if (status != null) {
                    notifier.status(status);
                }
            }
        }, "supervisor-notify-relay");
        return t;
    }
}
