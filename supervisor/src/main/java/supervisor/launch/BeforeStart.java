package supervisor.launch;

import supervisor.platform.Daemons;

/**
 * The waits of a command before its task or workers start that the first SIGINT, SIGTERM or
 * SIGHUP must end: reading a config file or a jar, which blocks in read(2) on a hung NFS or FUSE
 * mount, or on a regular file that blocks by nature ({@code /proc/kmsg}, tracefs'
 * {@code trace_pipe}). A read(2) in Java cannot be interrupted, so once the command line has armed
 * this ({@code SignalEvents.install}), such a wait runs on a daemon thread of its own and the
 * caller waits for its result or for a signal, whichever comes first; a thread left blocked is
 * left to the exit. Unarmed (a library caller), the work runs on the caller's thread as before.
 *
 * <p>A signal that came before the task is spawned means that the task is never spawned: the
 * command checks with {@link #check} right before the spawn, and ends with {@link Signalled}.
 */
public final class BeforeStart {
    private static final Object LOCK = new Object();
    private static boolean armed; // guarded by LOCK
    private static int signal; // the first signal the command got, 0 until then; guarded by LOCK

    private BeforeStart() {
    }

    /** A signal came before the task or the workers started: nothing was started. */
    public static final class Signalled extends RuntimeException {
        private final int signal;
        private final String doing;

        Signalled(int signal, String doing) {
            super(null, null, false, false); // no stack trace: it is an outcome, not a bug
            this.signal = signal;
            this.doing = doing;
        }

        /** The signal's number. */
        public int signal() {
            return signal;
        }

        /** What the supervisor was doing when it came: "while reading the config file x.conf". */
        public String doing() {
            return doing;
        }
    }

    /** A wait that may block, and the exception it may throw. */
    public interface Work<T, E extends Exception> {
        T call() throws E;
    }

    /** From now on {@link #call} waits on a thread of its own, and a signal ends it. */
    public static void arm() {
        synchronized (LOCK) {
            armed = true;
        }
    }

    /** The command got {@code number} (called by the handler): the first one is kept. */
    public static void signalled(int number) {
        synchronized (LOCK) {
            if (signal == 0) {
                signal = number;
            }
            LOCK.notifyAll();
        }
    }

    /**
     * Throws {@link Signalled} if a signal came.
     *
     * @param doing what the supervisor is doing, for its line ("while starting the task")
     */
    public static void check(String doing) {
        synchronized (LOCK) {
            if (signal != 0) {
                throw new Signalled(signal, doing);
            }
        }
    }

    /**
     * Runs {@code work} and returns its result, unless a signal comes first (or came before):
     * then throws {@link Signalled} at once, without waiting for it.
     *
     * @param doing what the work is, for the line a signal prints ("while reading the config file x.conf")
     */
    public static <T, E extends Exception> T call(String doing, Work<T, E> work) throws E {
        boolean threaded;
        synchronized (LOCK) {
            threaded = armed;
        }
        check("at start-up"); // it came before this wait: from the launcher, or while parsing
        if (!threaded) {
            return work.call();
        }
        Outcome<T> outcome = new Outcome<>();
        Thread t = Daemons.start(() -> {
            T value = null;
            Throwable failure = null;
            try {
                value = work.call();
            } catch (Throwable e) {
                failure = e;
            }
            synchronized (LOCK) {
                outcome.value = value;
                outcome.failure = failure;
                outcome.done = true;
                LOCK.notifyAll();
            }
        }, "supervisor-before-start"); // one blocked in read(2) must not hold the exit
        synchronized (LOCK) {
            while (!outcome.done && signal == 0) {
                try {
                    LOCK.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted " + doing);
                }
            }
            if (!outcome.done) {
                throw new Signalled(signal, doing);
            }
        }
        return outcome.<E>result();
    }

    private static final class Outcome<T> {
        T value; // guarded by LOCK, as the rest
        Throwable failure;
        boolean done;

        @SuppressWarnings("unchecked")
        <E extends Exception> T result() throws E {
            if (failure instanceof RuntimeException r) {
                throw r;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw (E) failure; // the work's own checked exception: E is all it can throw
            }
            return value;
        }
    }
}
