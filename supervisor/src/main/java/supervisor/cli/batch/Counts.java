package supervisor.cli.batch;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import supervisor.log.Words;

/** The outcome counters, for progress and the summary: lines written and flushed. */
final class Counts {
    private final AtomicLong[] by = new AtomicLong[Status.values().length];

    Counts() {
        for (int i = 0; i < by.length; i++) {
            by[i] = new AtomicLong();
        }
    }

    /** Adds {@code n[s.ordinal()]} lines of each status {@code s}. */
    void add(int[] n) {
        for (int i = 0; i < n.length; i++) {
            if (n[i] != 0) {
                by[i].addAndGet(n[i]);
            }
        }
    }

    long get(Status s) {
        return by[s.ordinal()].get();
    }

    long done() {
        long n = 0;
        for (AtomicLong a : by) {
            n += a.get();
        }
        return n;
    }

    long notOk() {
        return done() - get(Status.OK);
    }

    boolean allOk() {
        return notOk() == 0;
    }

    /** "3 calls: 2 ok, 1 timeout in 0.4s". */
    String summary(long nanos) {
        StringBuilder b = new StringBuilder().append(Words.count(done(), "call", "calls")).append(": ")
                .append(get(Status.OK)).append(" ok");
        for (Status s : Status.values()) {
            if (s != Status.OK && get(s) > 0) {
                b.append(", ").append(get(s)).append(' ').append(s.json());
            }
        }
        return b.append(String.format(Locale.ROOT, " in %.1fs", nanos / 1e9)).toString();
    }
}
