package supervisor.cli.run;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;
import supervisor.launch.BeforeStart;

/**
 * Turns SIGINT, SIGTERM and SIGHUP into events for the session's loop; no work is done in the
 * handler itself. Installed first thing in {@code main}, because until then the JVM's default
 * handlers would exit at once; signals that arrive before the session connects are kept, and end
 * any wait before the task starts ({@link supervisor.launch.BeforeStart}). One that the launcher
 * got before the JVM ran comes first, from {@code -Dsupervisor.signalled}.
 *
 * <p>A signal that was ignored when the JVM started (INT for a job started with {@code &} from a
 * non-interactive shell, which is how a script's background jobs start) is handled all the same:
 * the supervisor is the one who must stop its task on it, as GNU timeout does.
 */
public final class SignalEvents {
    private static final List<Integer> EARLY = new ArrayList<>();
    private static IntConsumer sink;
    /** A class, not a lambda: installed first thing at start, where a lambda's bootstrap costs. */
    private static final SignalHandler HANDLER = new SignalHandler() {
        @Override
        public void handle(Signal s) {
            deliver(s.getNumber());
        }
    };

    private SignalEvents() {
    }

    public static void install() {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            Signal signal = new Signal(name);
            Signal.handle(signal, HANDLER);
        }
        BeforeStart.arm();
        // One that the launcher got before this JVM ran (scripts/supervisor traps them from its
        // first line): it came first.
        String early = System.getProperty(EARLY_PROPERTY, "");
        if (!early.isEmpty()) {
            System.clearProperty(EARLY_PROPERTY); // delivered once, also if install runs again
            int number = supervisor.platform.Signal.number(early);
            if (number > 0) {
                deliver(number);
            }
        }
    }

    /** Set by the launcher to the name of the first of HUP, INT and TERM it got ("TERM"). */
    static final String EARLY_PROPERTY = "supervisor.signalled";

    private static synchronized void deliver(int signal) {
        BeforeStart.signalled(signal); // ends a wait before the start
        if (sink == null) {
            EARLY.add(signal);
        } else {
            sink.accept(signal);
        }
    }

    /** Sends every signal, those that came early first, to {@code consumer}. */
    public static synchronized void connect(IntConsumer consumer) {
        install(); // idempotent: a library caller may not have installed them
        sink = consumer;
        EARLY.forEach(consumer::accept);
        EARLY.clear();
    }
}
