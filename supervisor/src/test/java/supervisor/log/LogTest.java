package supervisor.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * In a library, messages go to the System.Logger "supervisor" (here the JDK's default backend,
 * java.util.logging), not to stderr. The command line's stderr lines are tested through the real
 * launcher (RunContractIT, PoolCommandIT).
 */
class LogTest {
    @Test
    void aLibraryLogsThroughSystemLogger() {
        Logger jul = Logger.getLogger("supervisor");
        List<String> seen = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                seen.add(r.getLevel() + " " + r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Level before = jul.getLevel();
        boolean parents = jul.getUseParentHandlers();
        jul.addHandler(h);
        jul.setUseParentHandlers(false);
        jul.setLevel(Level.ALL);
        try {
            Log.error("e");
            Log.warn("w");
            Log.info("i");
            Log.debug("d");
            assertEquals(List.of("SEVERE e", "WARNING w", "INFO i", "FINE d"), seen);
            seen.clear();
            jul.setLevel(Level.INFO);
            Log.debug("not wanted");
            assertEquals(List.of(), seen, "the application's level decides");
        } finally {
            jul.removeHandler(h);
            jul.setUseParentHandlers(parents);
            jul.setLevel(before);
        }
    }
}
