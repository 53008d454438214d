package supervisor.cli.service;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import supervisor.units.Durations;

/**
 * The health file's format, written by {@link HealthFile} and read by {@code supervisor probe}:
 * UTF-8 text, a fixed first line, then one {@code KEY=VALUE} per line.
 *
 * <pre>
 * supervisor-health 1
 * state=ready              starting, ready, unhealthy or stopping
 * beat=1733520000123       when the task was last found healthy, ms since the epoch (0: never)
 * written=1733520000123    when this version was written
 * pid=1                    the supervisor's
 * ready=127.0.0.1:8080 accepts connections
 * problem=...              why it is unhealthy, or stopping (only then)
 * </pre>
 *
 * A value holds no control character ({@link Notifier#escape}), so none can add a line, and so
 * a field. Readers ignore keys they do not know; the number after the signature changes only if
 * a key changes meaning.
 */
public final class HealthRecord {
    public static final String SIGNATURE = "supervisor-health 1";
    static final String STARTING = "starting";
    static final String READY = "ready";
    static final String UNHEALTHY = "unhealthy";
    static final String STOPPING = "stopping";

    /** What a probe decides: its exit status (0 or 1) and its one line. */
    public record Verdict(boolean passed, String line) {
    }

    private final Map<String, String> fields;

    private HealthRecord(Map<String, String> fields) {
        this.fields = fields;
    }

    static String render(Map<String, String> fields) {
        StringBuilder b = new StringBuilder(SIGNATURE).append('\n');
        fields.forEach((k, v) -> b.append(k).append('=').append(Notifier.escape(v)).append('\n'));
        return b.toString();
    }

    /** Whether a file that begins with these bytes is a health file. */
    static boolean isHealthFile(byte[] start) {
        byte[] signature = (SIGNATURE + "\n").getBytes(StandardCharsets.US_ASCII);
        return start.length >= signature.length && Arrays.equals(start, 0, signature.length, signature, 0, signature.length);
    }

    /** The record in a file's text, or null if the text is not a health file's. */
    public static HealthRecord parse(String text) {
        if (!text.startsWith(SIGNATURE + "\n")) {
            return null;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String line : text.substring(SIGNATURE.length() + 1).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return new HealthRecord(fields);
    }

    /** The field, or "" if the file has none. */
    public String get(String key) {
        return fields.getOrDefault(key, "");
    }

    /** When the task was last found healthy (ms since the epoch), or -1 for never or a bad value. */
    long beatMillis() {
        String beat = get("beat");
        if (beat.isEmpty() || beat.length() > 18 || !beat.chars().allMatch(c -> Durations.isAsciiDigit((char) c))) {
            return -1;
        }
        long millis = Long.parseLong(beat);
        return millis == 0 ? -1 : millis;
    }

    /**
     * Alive: the task was found healthy (alive, not frozen, and once ready still passing its
     * {@code --ready} probe) at most {@code maxAgeMillis} before {@code nowMillis}.
     */
    public Verdict alive(long nowMillis, long maxAgeMillis) {
        long beat = beatMillis();
        String pid = " (supervisor pid " + get("pid") + ")";
        if (beat < 0) {
            return new Verdict(false, "not alive: the task has not been found healthy yet" + pid);
        }
        long age = nowMillis - beat;
        if (age > maxAgeMillis) {
            String why = get("problem").isEmpty() ? "" : ": " + get("problem");
            return new Verdict(false, "not alive: last found healthy " + ago(age) + ", more than "
                    + Durations.format(maxAgeMillis * 1_000_000L) + why + pid);
        }
        return new Verdict(true, "alive: found healthy " + ago(age) + ", state " + get("state") + pid);
    }

    /** Ready: the task passed {@code --ready}, has passed every check since, and is {@link #alive}. */
    public Verdict ready(long nowMillis, long maxAgeMillis) {
        String state = get("state");
        String pid = " (supervisor pid " + get("pid") + ")";
        switch (state) {
            case READY -> {
                Verdict alive = alive(nowMillis, maxAgeMillis);
                return alive.passed()
                        ? new Verdict(true, "ready: " + get("ready") + ", found healthy " + ago(nowMillis - beatMillis()) + pid)
                        : new Verdict(false, "not ready: " + alive.line().substring("not alive: ".length()));
            }
            case STARTING -> {
                return new Verdict(false, "not ready: starting, waiting until " + get("ready") + pid);
            }
            case UNHEALTHY, STOPPING -> {
                return new Verdict(false, "not ready: " + state + ": " + get("problem") + pid);
            }
            default -> {
                return new Verdict(false, "not ready: the state is " + (state.isEmpty() ? "missing" : "'" + state + "'") + pid);
            }
        }
    }

    private static String ago(long millis) {
        return millis < 0 ? "in the future (" + Durations.format(-millis * 1_000_000L) + " ahead: the clock went back)"
                : Durations.format(millis * 1_000_000L) + " ago";
    }
}
