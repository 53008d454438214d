package supervisor.run;

import java.util.function.IntConsumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns SIGINT, SIGTERM and SIGHUP into events for the session's loop; no work is done in the
 * handler itself. A signal that was ignored when the JVM started (INT for a job started with
 * {@code &} from a script, HUP under nohup) stays ignored, as the shell intended.
 */
final class SignalEvents {
    private SignalEvents() {
    }

    static void install(IntConsumer sink) {
        for (String name : new String[] {"INT", "TERM", "HUP"}) {
            Signal signal = new Signal(name);
            SignalHandler previous = Signal.handle(signal, s -> sink.accept(s.getNumber()));
            if (previous == SignalHandler.SIG_IGN) {
                Signal.handle(signal, SignalHandler.SIG_IGN);
            }
        }
    }
}
