package supervisor.cli.timeout;

/**
 * Signal names and numbers as coreutils reads and writes them ({@code operand2sig},
 * {@code sig2str}, gnulib's {@code sig2str.c}), for glibc on Linux: 0 is {@code EXIT}, the
 * real-time signals are {@code RTMIN+N} and {@code RTMAX-N} (34 to 64; 32 and 33 are glibc's
 * own and have no name).
 */
final class GnuSignals {
    static final int RTMIN = 34;
    static final int RTMAX = 64;

    /**
     * gnulib's table, in its order: the first name of a number is the one written ({@code POLL}
     * for 29, {@code ABRT} for 6), and every name is read ({@code IO}, {@code IOT}, {@code CLD}).
     */
    private static final String[] NAMES = {
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "FPE", "KILL", "SEGV", "BUS", "PIPE", "ALRM",
        "TERM", "USR1", "USR2", "CHLD", "URG", "STOP", "TSTP", "CONT", "TTIN", "TTOU", "SYS", "POLL",
        "VTALRM", "PROF", "XCPU", "XFSZ", "IOT", "CLD", "PWR", "WINCH", "IO", "STKFLT", "EXIT"
    };
    private static final int[] NUMBERS = {
        1, 2, 3, 4, 5, 6, 8, 9, 11, 7, 13, 14,
        15, 10, 12, 17, 23, 19, 20, 18, 21, 22, 31, 29,
        26, 27, 24, 25, 6, 17, 30, 28, 29, 16, 0
    };

    private GnuSignals() {
    }

    /**
     * The signal {@code operand} names, as {@code timeout -s} reads it; -1 when it names none.
     * A number is taken as a shell's status may hold it: 137 is 9 (masked with 0x7F), 265 is 9
     * (masked with 0xFF from 255 on); a name may be in any case, with or without SIG.
     */
    static int parse(String operand) {
        int signal;
        if (!operand.isEmpty() && isDigit(operand.charAt(0))) {
            signal = number(operand);
            if (signal != -1) {
                signal &= signal >= 0xFF ? 0xFF : 0x7F;
            }
        } else {
            String up = upcase(operand);
            signal = byName(up);
            if (signal < 0 && up.startsWith("SIG")) {
                signal = byName(up.substring(3));
            }
        }
        return signal >= 0 && name(signal) != null ? signal : -1;
    }

    /** {@code sig2str}: "TERM", "EXIT" for 0, "RTMIN+3"; null for a number with no name. */
    static String name(int signal) {
        for (int i = 0; i < NAMES.length; i++) {
            if (NUMBERS[i] == signal) {
                return NAMES[i];
            }
        }
        if (signal < RTMIN || signal > RTMAX) {
            return null;
        }
        boolean low = signal <= RTMIN + (RTMAX - RTMIN) / 2;
        int delta = signal - (low ? RTMIN : RTMAX);
        return (low ? "RTMIN" : "RTMAX") + (delta == 0 ? "" : delta > 0 ? "+" + delta : Integer.toString(delta));
    }

    /** {@code sig2str}, or the number when it has no name: how {@code -v} names a signal. */
    static String nameOrNumber(int signal) {
        String name = name(signal);
        return name != null ? name : Integer.toString(signal);
    }

    /** gnulib's {@code str2signum}, on an upper-cased name. */
    private static int byName(String name) {
        if (!name.isEmpty() && isDigit(name.charAt(0))) {
            long n = strtol(name);
            return n >= 0 && n <= RTMAX ? (int) n : -1;
        }
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i].equals(name)) {
                return NUMBERS[i];
            }
        }
        if (name.startsWith("RTMIN")) {
            long n = name.length() == 5 ? 0 : strtol(name.substring(5));
            return n != Long.MIN_VALUE && n >= 0 && n <= RTMAX - RTMIN ? (int) (RTMIN + n) : -1;
        }
        if (name.startsWith("RTMAX")) {
            long n = name.length() == 5 ? 0 : strtol(name.substring(5));
            return n != Long.MIN_VALUE && n >= RTMIN - RTMAX && n <= 0 ? (int) (RTMAX + n) : -1;
        }
        return -1;
    }

    /** A whole operand as a decimal int, as strtol with no trailing characters; -1 otherwise. */
    private static int number(String s) {
        long n = strtol(s);
        return n == Long.MIN_VALUE || n > Integer.MAX_VALUE || n < Integer.MIN_VALUE ? -1 : (int) n;
    }

    /**
     * strtol(s, &end, 10) that must use all of {@code s} (leading white space and a sign
     * allowed); Long.MIN_VALUE when it does not, or overflows.
     */
    private static long strtol(String s) {
        int i = 0;
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) >= '\t' && s.charAt(i) <= '\r')) {
            i++;
        }
        boolean negative = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        if (i == s.length()) {
            return Long.MIN_VALUE;
        }
        long n = 0;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isDigit(c)) {
                return Long.MIN_VALUE;
            }
            n = n * 10 + (c - '0');
            if (n > Integer.MAX_VALUE + 1L) {
                return Long.MIN_VALUE; // far beyond an int: out of range either way
            }
        }
        return negative ? -n : n;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Upper case in the C locale: ASCII letters only. */
    private static String upcase(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c);
        }
        return b.toString();
    }
}
