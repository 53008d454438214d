package supervisor.platform;

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

    /** "SIGTERM" for 15; "signal 40" for numbers without a classic name. */
    public static String name(int signal) {
        if (signal > 0 && signal < NAMES.length) {
            return "SIG" + NAMES[signal];
        }
        return "signal " + signal;
    }
}
