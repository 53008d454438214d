package supervisor.platform;

import java.util.Locale;

/** Linux signal numbers (x86-64 and arm64 share them) and their names for messages. */
public final class Signal {
    public static final int HUP = 1;
    public static final int INT = 2;
    public static final int QUIT = 3;
    public static final int ABRT = 6;
    public static final int KILL = 9;
    public static final int SEGV = 11;
    public static final int PIPE = 13;
    public static final int TERM = 15;
    public static final int CHLD = 17;
    public static final int CONT = 18;
    public static final int STOP = 19;
    public static final int XCPU = 24;

    private static final String[] NAMES = {
        null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"
    };

    private Signal() {
    }

    /**
     * The number of a signal named as in kill(1) and systemd's KillSignal=: "TERM", "SIGTERM",
     * "term" or "15"; -1 for anything else.
     */
    public static int number(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.startsWith("SIG")) {
            n = n.substring(3);
        }
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(n)) {
                return i;
            }
        }
        if (!n.isEmpty() && n.length() <= 2 && n.chars().allMatch(c -> c >= '0' && c <= '9')) {
            int v = Integer.parseInt(n);
            return v >= 1 && v < NAMES.length ? v : -1;
        }
        return -1;
    }

    /** "SIGTERM" for 15; "signal 40" for numbers without a classic name. */
    public static String name(int signal) {
        if (signal > 0 && signal < NAMES.length) {
            return "SIG" + NAMES[signal];
        }
        return "signal " + signal;
    }
}
