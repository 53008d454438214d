package supervisor.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The health file's format and the probe's verdicts, at chosen times: what {@code supervisor probe} decides. */
class HealthRecordTest {
    private static final long NOW = 1_800_000_000_000L;

    private static HealthRecord record(String state, long beat, String problem) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("state", state);
        f.put("beat", Long.toString(beat));
        f.put("pid", "1");
        f.put("ready", "127.0.0.1:8080 accepts connections");
        if (problem != null) {
            f.put("problem", problem);
        }
        return HealthRecord.parse(HealthRecord.render(f));
    }

    @Test
    void readyNeedsTheReadyStateAndAFreshBeat() {
        assertTrue(record("ready", NOW - 900, null).ready(NOW, 10_000).passed());
        HealthRecord.Verdict stale = record("ready", NOW - 12_000, null).ready(NOW, 10_000);
        assertFalse(stale.passed());
        assertEquals("not ready: last found healthy 12s ago, more than 10s (supervisor pid 1)", stale.line());
        assertEquals("not ready: starting, waiting until 127.0.0.1:8080 accepts connections (supervisor pid 1)",
                record("starting", NOW, null).ready(NOW, 10_000).line());
        assertEquals("not ready: unhealthy: the task is frozen (supervisor pid 1)",
                record("unhealthy", NOW - 500, "the task is frozen").ready(NOW, 10_000).line());
        assertFalse(record("stopping", NOW, "got SIGTERM").ready(NOW, 10_000).passed());
        assertEquals("not ready: the state is 'weird' (supervisor pid 1)", record("weird", NOW, null).ready(NOW, 10_000).line());
    }

    @Test
    void aliveNeedsAFreshBeatWhateverTheState() {
        assertTrue(record("starting", NOW - 2_000, null).alive(NOW, 10_000).passed());
        assertTrue(record("unhealthy", NOW - 2_000, "x").alive(NOW, 10_000).passed(), "not stale yet");
        HealthRecord.Verdict stale = record("unhealthy", NOW - 30_000, "the task is not responsive").alive(NOW, 20_000);
        assertEquals("not alive: last found healthy 30s ago, more than 20s: the task is not responsive (supervisor pid 1)",
                stale.line());
        assertEquals("not alive: the task has not been found healthy yet (supervisor pid 1)",
                record("starting", 0, null).alive(NOW, 10_000).line());
        // A clock that went back: the beat is "in the future", not stale.
        HealthRecord.Verdict ahead = record("ready", NOW + 5_000, null).alive(NOW, 10_000);
        assertTrue(ahead.passed() && ahead.line().contains("in the future (5s ahead"), ahead.line());
    }

    @Test
    void noValueCanAddAField() {
        HealthRecord r = record("stopping", NOW, "got SIGTERM\nstate=ready\nbeat=" + NOW);
        assertEquals("stopping", r.get("state"));
        assertEquals("got SIGTERM\\nstate=ready\\nbeat=" + NOW, r.get("problem"));
        assertFalse(r.ready(NOW, 10_000).passed());
    }

    @Test
    void onlyTheSignatureMakesAHealthFile() {
        assertNull(HealthRecord.parse("state=ready\n"));
        assertNull(HealthRecord.parse("supervisor-health 2\nstate=ready\n"));
        assertTrue(HealthRecord.isHealthFile("supervisor-health 1\nstate=x\n".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(HealthRecord.isHealthFile("supervisor-health 1".getBytes(StandardCharsets.US_ASCII)));
        assertFalse(HealthRecord.isHealthFile("PK\u0003\u0004".getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals("not alive: the task has not been found healthy yet (supervisor pid 1)",
                HealthRecord.parse("supervisor-health 1\nbeat=12x\npid=1\n").alive(NOW, 10_000).line());
    }
}
