package supervisor.service;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import supervisor.log.Log;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;

/**
 * The systemd notify protocol (sd_notify): datagrams of "KEY=value" lines to the AF_UNIX socket
 * named by NOTIFY_SOCKET, a path or an abstract name ('@'). Without NOTIFY_SOCKET every method
 * does nothing. A failed send is reported once, at debug level: a service must not fail because
 * its manager went away. Thread-safe.
 */
public final class Notifier {
    private static final Notifier NONE = new Notifier(null);
    private final String socket;
    private volatile boolean warned;

    private Notifier(String socket) {
        this.socket = socket;
    }

    public static Notifier fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        return socket == null || socket.isEmpty() ? NONE : new Notifier(socket);
    }

    public boolean enabled() {
        return socket != null;
    }

    /** The task runs: READY=1 with the supervisor's pid as the main pid, and a status line. */
    public void ready(String status) {
        send("READY=1\nMAINPID=" + ProcessHandle.current().pid() + "\nSTATUS=" + status);
    }

    public void status(String status) {
        send("STATUS=" + status);
    }

    public void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + status);
    }

    public void watchdog() {
        send("WATCHDOG=1");
    }

    void send(String state) {
        if (socket == null) {
            return;
        }
        try {
            Platform.posix().sendDatagram(socket, state.replace("\r", "").getBytes(StandardCharsets.UTF_8));
        } catch (PlatformException e) {
            if (!warned) {
                warned = true;
                Log.debug("cannot notify systemd: " + e.getMessage());
            }
        }
    }
}
