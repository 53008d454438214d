package supervisor.cli.timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;
import supervisor.launch.BeforeStart;

/**
 * The signals GNU timeout acts on, turned into events for the session's loop (no work in the
 * handler): HUP, INT, TERM and ALRM (an ALRM is the time being up, as GNU's own timer is), and the
 * signal of {@code -s} where the JVM lets a program handle it. QUIT, which GNU passes on too, is
 * the JVM's own (its thread dump): see docs/timeout.md. TTIN and TTOU are caught and dropped, as
 * GNU ignores them, so that a command that reads the terminal from the background does not stop
 * this process with it (a handled signal, unlike an ignored one, is the default again in the
 * command). Signals that come before the session connects are kept, and end any wait before the
 * command starts ({@link BeforeStart}).
 */
final class TimeoutSignals {
    private static final List<Integer> EARLY = new ArrayList<>();
    private static IntConsumer sink;
    /** A class, not a lambda: installed first thing at start, where a lambda's bootstrap costs. */
    private static final SignalHandler HANDLER = new SignalHandler() {
        @Override
        public void handle(Signal s) {
            deliver(s.getNumber());
        }
    };
    private static final SignalHandler NOTHING = new SignalHandler() {
        @Override
        public void handle(Signal s) {
        }
    };
    /** Signals the JVM keeps for itself or must not lose (PIPE, XFSZ, USR2 have native handlers). */
    private static final List<String> NOT_OURS = List.of("QUIT", "PIPE", "XFSZ", "USR2", "CHLD", "TTIN", "TTOU", "KILL", "STOP",
            "SEGV", "BUS", "FPE", "ILL", "TRAP", "ABRT", "SYS");

    private TimeoutSignals() {
    }

    static void install() {
        for (String name : new String[] {"HUP", "INT", "TERM", "ALRM"}) {
            Signal.handle(new Signal(name), HANDLER);
        }
        for (String name : new String[] {"TTIN", "TTOU"}) {
            Signal.handle(new Signal(name), NOTHING);
        }
        BeforeStart.arm();
    }

    /** Also the signal of {@code -s}, where the JVM lets it be handled; false when it does not. */
    static boolean also(int signal) {
        String name = GnuSignals.name(signal);
        if (name == null || NOT_OURS.contains(name) || signal == 0) {
            return false;
        }
        if (List.of("HUP", "INT", "TERM", "ALRM").contains(name)) {
            return true;
        }
        try {
            Signal.handle(new Signal(name), HANDLER);
            return true;
        } catch (IllegalArgumentException e) {
            return false; // unknown to the JVM (a real-time signal), or used by it
        }
    }

    private static synchronized void deliver(int signal) {
        BeforeStart.signalled(signal); // ends a wait before the start
        if (sink == null) {
            EARLY.add(signal);
        } else {
            sink.accept(signal);
        }
    }

    /** Sends every signal, those that came early first, to {@code consumer}. */
    static synchronized void connect(IntConsumer consumer) {
        sink = consumer;
        EARLY.forEach(consumer::accept);
        EARLY.clear();
    }
}
