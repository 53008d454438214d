package supervisor.platform;

import java.util.concurrent.ThreadFactory;

/**
 * The supervisor's own threads: all daemons, all named {@code supervisor-...}. A daemon never
 * holds the JVM's exit, so a thread blocked in read(2) on a task's pipe, or waiting on a hung
 * mount, cannot keep a finished supervisor alive; the name says in a thread dump whose it is.
 */
public final class Daemons {
    private Daemons() {
    }

    /** A daemon running {@code body}, named {@code name}, not yet started (for a field that is started later). */
    public static Thread unstarted(Runnable body, String name) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }

    /** A daemon running {@code body}, named {@code name}, started. */
    public static Thread start(Runnable body, String name) {
        Thread t = unstarted(body, name);
        t.start();
        return t;
    }

    /** Makes daemons, each named {@code name}: for an executor of one thread, or of threads alike. */
    public static ThreadFactory factory(String name) {
        return body -> unstarted(body, name);
    }
}
