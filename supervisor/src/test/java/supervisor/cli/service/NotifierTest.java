package supervisor.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.DatagramListener;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;

/** The notify protocol against real AF_UNIX datagram sockets. */
class NotifierTest {
    private static final Duration AT_ONCE = Duration.ofSeconds(2);

    @Test
    void controlCharactersBecomeVisibleEscapes() {
        assertEquals("a\\nb", Notifier.escape("a\nb"));
        assertEquals("a\\r\\nREADY=1", Notifier.escape("a\r\nREADY=1"));
        assertEquals("\\t\\x00\\x01\\x1b[31m\\x1f", Notifier.escape("\t\u0000\u0001\u001b[31m\u001f"));
        assertEquals("del\\x7f nel\\x85 csi\\x9b", Notifier.escape("del\u007f nel\u0085 csi\u009b"));
        String plain = "running t\u00e2che \u65e5\u672c.jar (pid 42) \\n";
        assertSame(plain, Notifier.escape(plain), "text without control characters is left alone");
        for (char c = 0; c < 0x100; c++) {
            String escaped = Notifier.escape("x" + c + "y");
            assertTrue(escaped.chars().allMatch(ch -> ch >= 0x20 && ch != 0x7f && (ch < 0x80 || ch >= 0xa0)),
                    "U+" + Integer.toHexString(c) + " gave " + escaped);
        }
    }

    @Test
    void aStatusCannotAddALineOrAField(@TempDir Path dir) throws Exception {
        String socket = dir.resolve("notify").toString();
        try (DatagramListener systemd = new DatagramListener(socket)) {
            Notifier notifier = Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", socket));
            notifier.status("evil\nREADY=1\rMAINPID=1");
            assertEquals("STATUS=evil\\nREADY=1\\rMAINPID=1", systemd.await("STATUS=", 5_000).text());
            notifier.ready("task\n.jar");
            String ready = systemd.await("READY=1", 5_000).text();
            assertEquals(3, ready.split("\n").length, ready);
            assertTrue(ready.endsWith("\nSTATUS=task\\n.jar"), ready);
            notifier.stopping("got\u0000SIGTERM");
            assertEquals("STOPPING=1\nSTATUS=got\\x00SIGTERM", systemd.await("STOPPING=1", 5_000).text());
        }
    }

    @Test
    void sendingToAFullSocketFailsAtOnceInsteadOfBlocking(@TempDir Path dir) {
        String socket = dir.resolve("notify").toString();
        try (DatagramListener unread = DatagramListener.unread(socket)) {
            byte[] message = "WATCHDOG=1".getBytes(StandardCharsets.UTF_8);
            PlatformException e = assertTimeoutPreemptively(AT_ONCE,
                    () -> assertThrows(PlatformException.class, () -> Platform.posix().sendDatagram(socket, message)));
            assertTrue(e.getMessage().contains("errno 11"), e.getMessage());
        }
    }

    @Test
    void theMethodsReturnAtOnceWhateverTheSocketDoes(@TempDir Path dir) {
        String full = dir.resolve("full").toString();
        String missing = dir.resolve("no-such-dir/notify").toString();
        try (DatagramListener unread = DatagramListener.unread(full)) {
            for (String socket : new String[] {full, missing, "@supervisor-nobody-listens-" + System.nanoTime()}) {
                Notifier notifier = Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", socket));
                assertTimeoutPreemptively(AT_ONCE, () -> {
                    for (int i = 0; i < 1000; i++) { // far more than the queue holds: the rest are dropped
                        notifier.ready("running task.jar (pid 1)");
                        notifier.status("status " + i);
                        notifier.watchdog();
                        notifier.stopping("stopping");
                    }
                }, socket);
            }
        }
    }

    @Test
    void withoutNotifySocketNothingIsSentAndNoThreadStarts() {
        Notifier notifier = Notifier.fromEnvironment(Map.of());
        long before = notifierThreads();
        notifier.ready("x");
        notifier.status("x");
        notifier.watchdog();
        notifier.stopping("x");
        assertFalse(notifier.enabled());
        assertEquals(before, notifierThreads());
        assertFalse(Notifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "")).enabled());
    }

    private static long notifierThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("supervisor-notify")).count();
    }
}
