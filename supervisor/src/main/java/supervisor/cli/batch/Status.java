package supervisor.cli.batch;

import java.util.Locale;

/** The outcomes of a line's call, as written in "status". */
enum Status {
    OK, FAILED, TIMEOUT, CRASHED, PROTOCOL,
    /** The call did not run: the pool is down (its workers stopped starting). */
    UNAVAILABLE;

    String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}
