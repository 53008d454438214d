package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import supervisor.platform.PlatformException;
import supervisor.platform.Signal;

/** The stop's beginning: what is sent, when the kill is due, and what is said when the signal cannot go. */
class StopPolicyTest {
    private static final long GRACE = TimeUnit.SECONDS.toNanos(5);
    private final List<String> sent = new ArrayList<>();
    private final List<String> said = new ArrayList<>();

    private int send(int signal, boolean wholeTree) {
        sent.add(Signal.name(signal) + (wholeTree ? " tree" : " group"));
        return 3;
    }

    @Test
    void theStopSignalGoesFirstAndTheKillIsDueAtTheEndOfTheGrace() {
        long before = System.nanoTime();
        StopPolicy.Begun b = new StopPolicy(Signal.INT, GRACE, true).begin(this::send, null, said::add);
        assertEquals(List.of("SIGINT tree"), sent);
        assertTrue(b.sent());
        assertEquals(3, b.reached());
        assertTrue(b.sentAt() - before >= 0);
        assertTrue(b.killAt() - (b.sentAt() + GRACE) >= 0, "the grace counts from the signal");
        assertEquals(List.of(), said);
    }

    @Test
    void withoutAGraceNothingIsSentAndTheKillIsDueAtOnce() {
        StopPolicy.Begun b = StopPolicy.sigterm(0).begin(this::send, "pid 42", said::add);
        assertEquals(List.of(), sent);
        assertFalse(b.sent());
        assertEquals(b.sentAt(), b.killAt());
        assertEquals(List.of(), said);
    }

    @Test
    void aSignalThatCannotBeSentIsSaidAndTheKillIsDueAtOnce() {
        StopPolicy.Begun b = StopPolicy.sigterm(GRACE).begin((signal, tree) -> {
            throw new PlatformException("kill(42, SIGTERM) failed: EPERM");
        }, "pid 42", said::add);
        assertFalse(b.sent());
        assertTrue(b.killAt() - b.sentAt() < GRACE);
        assertEquals(List.of("cannot send SIGTERM to pid 42: kill(42, SIGTERM) failed: EPERM; killing instead"), said);

        said.clear();
        StopPolicy.Begun quiet = new StopPolicy(Signal.TERM, GRACE, true).begin((signal, tree) -> {
            throw new PlatformException("no native layer");
        }, null, said::add);
        assertFalse(quiet.sent());
        assertEquals(List.of("cannot send SIGTERM: no native layer; killing instead"), said);
    }
}
