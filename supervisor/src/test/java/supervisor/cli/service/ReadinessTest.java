package supervisor.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReadinessTest {
    @Test
    void parsesEachMode() {
        assertEquals(Readiness.Kind.START, Readiness.parse("start").kind());
        assertEquals(Readiness.Kind.NOTIFY, Readiness.parse("notify").kind());
        assertEquals("tcp:8080", Readiness.parse("tcp:8080").toString());
        assertEquals("tcp:65535", Readiness.parse("tcp:65535").toString());
        assertEquals(Readiness.Kind.FILE, Readiness.parse("file:/run/app/ready").kind());
        assertEquals("file:a\\nb", Readiness.parse("file:a\nb").toString(), "escaped for messages");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Start", "tcp:", "tcp:0", "tcp:65536", "tcp:99999999999", "tcp:+80", "tcp:8080 ",
            "tcp:\u0668\u0660", "file:", "udp:53", "notify:x"})
    void refusesWhatIsNotAMode(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Readiness.parse(value));
        assertTrue(e.getMessage().contains("'"), e.getMessage());
    }

    @Test
    void tcpSucceedsWhileSomethingListens() throws Exception {
        int port;
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = server.getLocalPort();
            assertTrue(Readiness.parse("tcp:" + port).check(null));
        }
        assertFalse(Readiness.parse("tcp:" + port).check(null));
    }

    @Test
    void aRelativeFileIsTakenFromTheWorkingDirectory(@TempDir Path dir) throws Exception {
        Readiness r = Readiness.parse("file:ready.flag");
        assertFalse(r.check(dir));
        Files.writeString(dir.resolve("ready.flag"), "");
        assertTrue(r.check(dir));
        assertTrue(Readiness.parse("file:" + dir.resolve("ready.flag")).check(null));
    }
}
