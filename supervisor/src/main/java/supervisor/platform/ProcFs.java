package supervisor.platform;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads processes from /proc. Pure Java: no native code, so it is usable before JNA has loaded.
 * A process may vanish between listing and reading; every reader treats that as "gone", never as
 * an error.
 */
public final class ProcFs {
    private static final Path PROC = Path.of("/proc");

    /** Clock ticks per second of /proc start times; 100 on every Linux build that matters. */
    public static final long TICKS_PER_SECOND = 100;

    private ProcFs() {
    }

    public static boolean available() {
        return Files.isReadable(PROC.resolve("self/stat"));
    }

    /** Every process that exists now; those that vanish while being read are left out. */
    public static List<ProcStat> scan() {
        // java.io rather than NIO: a scan runs on the supervisor's critical path, and plain
        // streams are the cheaper way to read a few hundred tiny files from a cold JVM.
        String[] names = new File("/proc").list();
        if (names == null) {
            throw new PlatformException("cannot list /proc");
        }
        List<ProcStat> all = new ArrayList<>(names.length);
        byte[] buffer = new byte[1024];
        for (String name : names) {
            if (name.isEmpty() || name.charAt(0) < '0' || name.charAt(0) > '9') {
                continue;
            }
            ProcStat s = stat(Integer.parseInt(name), buffer);
            if (s != null) {
                all.add(s);
            }
        }
        return all;
    }

    public static Optional<ProcStat> stat(int pid) {
        return Optional.ofNullable(stat(pid, new byte[1024]));
    }

    private static ProcStat stat(int pid, byte[] buffer) {
        int n;
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/stat")) {
            n = in.readNBytes(buffer, 0, buffer.length);
        } catch (IOException e) {
            // Gone: no such file, or ESRCH while reading because it went away after the open.
            return null;
        }
        return parse(buffer, n);
    }

    /**
     * Every mount point in this process's mount namespace (field 5 of /proc/self/mountinfo, its
     * octal escapes undone), decoded as the JDK decodes file names, so that it compares equal to
     * the {@link Path#toString()} of the same path.
     *
     * @throws IOException when /proc/self/mountinfo cannot be read
     */
    public static List<String> mountPoints() throws IOException {
        byte[] all = Files.readAllBytes(PROC.resolve("self/mountinfo"));
        String encoding = System.getProperty("sun.jnu.encoding");
        Charset charset = encoding != null && Charset.isSupported(encoding)
                ? Charset.forName(encoding) : Charset.defaultCharset();
        List<String> points = new ArrayList<>();
        int start = 0;
        while (start < all.length) {
            int end = start;
            while (end < all.length && all[end] != '\n') {
                end++;
            }
            // "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw": the fifth field
            int field = 0;
            int from = start;
            for (int i = start; i <= end && field < 5; i++) {
                if (i == end || all[i] == ' ') {
                    if (++field == 5) {
                        points.add(new String(unescape(all, from, i), charset));
                    }
                    from = i + 1;
                }
            }
            start = end + 1;
        }
        return points;
    }

    /** mountinfo writes a space, tab, newline and backslash in a path as {@code \ooo}. */
    private static byte[] unescape(byte[] b, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            if (b[i] == '\\' && i + 3 < to && isOctal(b, i + 1) && isOctal(b, i + 2) && isOctal(b, i + 3)) {
                out.write((b[i + 1] - '0') << 6 | (b[i + 2] - '0') << 3 | (b[i + 3] - '0'));
                i += 3;
            } else {
                out.write(b[i]);
            }
        }
        return out.toByteArray();
    }

    private static boolean isOctal(byte[] b, int i) {
        return b[i] >= '0' && b[i] <= '7';
    }

    /** The identity of a live process, or empty when it is gone. */
    public static Optional<ProcessId> id(int pid) {
        return stat(pid).map(ProcStat::id);
    }

    /** True when this exact process (pid and start time) still exists, zombie or not. */
    public static boolean exists(ProcessId id) {
        return stat(id.pid()).map(s -> s.startTime() == id.startTime()).orElse(false);
    }

    /** True when this exact process exists and has not exited (is not a zombie). */
    public static boolean alive(ProcessId id) {
        return stat(id.pid()).map(s -> s.startTime() == id.startTime() && !s.isDead()).orElse(false);
    }

    /**
     * True when the process's initial environment holds {@code entry} (e.g. "KEY=value") exactly.
     * False when it does not, when the process is gone, or when its environment is not readable
     * (another user's process: not ours to judge).
     */
    public static boolean environContains(int pid, byte[] entry) {
        return environHas(pid, entry, false);
    }

    /** True when one of the arguments of {@code pid}'s command line is exactly {@code word}. */
    public static boolean cmdlineHasWord(int pid, byte[] word) {
        byte[] cmdline;
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/cmdline")) {
            cmdline = in.readAllBytes();
        } catch (IOException e) {
            return false;
        }
        int start = 0;
        for (int i = 0; i <= cmdline.length; i++) {
            if (i == cmdline.length || cmdline[i] == 0) {
                if (i - start == word.length && regionEquals(cmdline, start, word)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /** As {@link #environContains}, for an entry that begins with {@code prefix} (e.g. "KEY="). */
    public static boolean environHasPrefix(int pid, byte[] prefix) {
        return environHas(pid, prefix, true);
    }

    private static boolean environHas(int pid, byte[] entry, boolean prefix) {
        byte[] env;
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/environ")) {
            env = in.readAllBytes();
        } catch (IOException e) {
            return false;
        }
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if ((prefix ? i - start >= entry.length : i - start == entry.length) && regionEquals(env, start, entry)) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    private static boolean regionEquals(byte[] a, int from, byte[] b) {
        for (int j = 0; j < b.length; j++) {
            if (a[from + j] != b[j]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The children of {@code pid}, from /proc/PID/task/TID/children of each of its threads
     * (an orphan is reparented to one thread of its subreaper, not always the main one).
     */
    public static List<Integer> children(int pid) {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(
                PROC.resolve(Integer.toString(pid)).resolve("task"))) {
            for (Path task : tasks) {
                out.addAll(threadChildren(task));
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /**
     * The processes the thread {@code task} ({@code /proc/PID/task/TID}, see {@link #currentThread()})
     * forked that still have it as their parent; empty when the thread has ended.
     */
    public static List<Integer> threadChildren(Path task) {
        List<Integer> out = new ArrayList<>();
        String text;
        try {
            text = Files.readString(task.resolve("children"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return out; // the thread ended meanwhile
        }
        for (String word : text.trim().split(" ")) {
            if (!word.isEmpty()) {
                out.add(Integer.parseInt(word));
            }
        }
        return out;
    }

    /** wait4 and waitid, as /proc/PID/task/TID/syscall numbers them on this machine; none elsewhere. */
    private static final int[] WAIT_SYSCALLS = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> new int[] {61, 247};
        case "aarch64" -> new int[] {260, 95};
        default -> new int[0];
    };

    /**
     * The pids that a thread of process {@code pid} is blocked waiting for by name, in
     * {@code wait4(pid, ...)} or {@code waitid(P_PID, pid, ...)}, as its threads' syscall files
     * show: the JDK's reaper thread of each {@code Process} waits so for its child, from just after
     * the spawn until it has collected it. Waits for any child are not counted. Empty where the
     * files cannot be read or the architecture's numbers are not known here.
     */
    public static java.util.Set<Integer> waitedForByName(int pid) {
        java.util.Set<Integer> out = new java.util.HashSet<>();
        if (WAIT_SYSCALLS.length == 0) {
            return out;
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve(Integer.toString(pid)).resolve("task"))) {
            for (Path task : tasks) {
                String text;
                try {
                    text = Files.readString(task.resolve("syscall"), StandardCharsets.ISO_8859_1).trim();
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                String[] w = text.split(" ");
                if (w.length < 3 || !Character.isDigit(w[0].charAt(0))) {
                    continue; // "running", or not in a syscall
                }
                int nr = Integer.parseInt(w[0]);
                long waited;
                if (nr == WAIT_SYSCALLS[0]) {
                    waited = Long.parseUnsignedLong(w[1].substring(2), 16);
                } else if (nr == WAIT_SYSCALLS[1] && Long.parseUnsignedLong(w[1].substring(2), 16) == 1) { // P_PID
                    waited = Long.parseUnsignedLong(w[2].substring(2), 16);
                } else {
                    continue;
                }
                if (waited > 0 && waited <= Integer.MAX_VALUE) {
                    out.add((int) waited);
                }
            }
        } catch (IOException | RuntimeException e) {
            return out;
        }
        return out;
    }

    /** The calling thread's directory, {@code /proc/PID/task/TID} (from /proc/thread-self, Linux 3.17+). */
    public static Path currentThread() throws IOException {
        return PROC.resolve(Files.readSymbolicLink(PROC.resolve("thread-self")));
    }

    /** The CPU time (user + system, fields 14 and 15) a live process has used so far, or -1. */
    public static long cpuNanos(int pid) {
        return statTicksNanos(pid, 14, 15);
    }

    /**
     * The CPU time (fields 16 and 17, cutime and cstime) of the children {@code pid} has waited
     * for, and of theirs in turn, or -1.
     */
    public static long childrenCpuNanos(int pid) {
        return statTicksNanos(pid, 16, 17);
    }

    /**
     * The sum of two clock-tick fields of /proc/PID/stat (numbered from 1, as proc(5) does), in
     * nanoseconds, or -1. The fields are counted after the command's closing parenthesis: a
     * command may hold spaces and parentheses of its own.
     */
    private static long statTicksNanos(int pid, int field, int otherField) {
        try {
            String line = new String(Files.readAllBytes(PROC.resolve(Integer.toString(pid)).resolve("stat")),
                    StandardCharsets.US_ASCII);
            String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
            long ticks = Long.parseLong(f[field - 3]) + Long.parseLong(f[otherField - 3]);
            return ticks * (1_000_000_000L / TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * A live process's resident set and its peak so far (VmRSS and VmHWM of /proc/PID/status), in
     * bytes; null when it is gone or a kernel thread (which has neither).
     */
    public static long[] residentBytes(int pid) {
        long rss = -1;
        long hwm = -1;
        try {
            for (String line : Files.readAllLines(PROC.resolve(Integer.toString(pid)).resolve("status"),
                    StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return rss < 0 || hwm < 0 ? null : new long[] {rss, hwm};
    }

    /** "VmRSS:	   12345 kB" in bytes. */
    private static long kib(String line) {
        String digits = line.substring(line.indexOf(':') + 1).replace("kB", "").trim();
        return Long.parseLong(digits) * 1024;
    }

    static ProcStat parse(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.ISO_8859_1);
        return parse(bytes, bytes.length);
    }

    /**
     * "pid (comm) state ppid ..." where comm may itself hold spaces and parentheses: the fields
     * after comm start after the LAST ')'. Read in place, without splitting the line: a scan
     * parses every process on the machine, on a one-shot run's critical path, often before the
     * JIT has compiled this.
     */
    static ProcStat parse(byte[] line, int length) {
        int open = -1;
        int close = -1;
        for (int i = 0; i < length; i++) {
            if (line[i] == '(' && open < 0) {
                open = i;
            } else if (line[i] == ')') {
                close = i;
            }
        }
        if (open < 1 || close < open || close + 2 >= length) {
            throw new NumberFormatException("not a /proc/PID/stat line: "
                    + new String(line, 0, length, StandardCharsets.ISO_8859_1));
        }
        int pid = (int) number(line, 0, open - 1);
        String comm = new String(line, open + 1, close - open - 1, StandardCharsets.ISO_8859_1);
        char state = (char) (line[close + 2] & 0xff);
        int ppid = 0;
        int pgrp = 0;
        int session = 0;
        long start = 0;
        int exitCode = 0;
        int field = 3;
        int i = close + 2;
        while (i < length && field <= 52) {
            int end = i;
            while (end < length && line[end] != ' ' && line[end] != '\n') {
                end++;
            }
            switch (field) {
                case 4 -> ppid = (int) number(line, i, end);
                case 5 -> pgrp = (int) number(line, i, end);
                case 6 -> session = (int) number(line, i, end);
                case 22 -> start = number(line, i, end);
                case 52 -> exitCode = (int) number(line, i, end);
                default -> { }
            }
            field++;
            i = end + 1;
        }
        if (field <= 22) {
            throw new NumberFormatException("a /proc/PID/stat line with " + (field - 1) + " fields");
        }
        return new ProcStat(pid, comm, state, ppid, pgrp, session, start, exitCode);
    }

    /** The decimal number in {@code line[from, to)}, spaces around it skipped; a sign allowed. */
    private static long number(byte[] line, int from, int to) {
        while (from < to && line[from] == ' ') {
            from++;
        }
        while (to > from && line[to - 1] == ' ') {
            to--;
        }
        boolean negative = from < to && line[from] == '-';
        int i = negative ? from + 1 : from;
        if (i >= to) {
            throw new NumberFormatException("empty number in a /proc/PID/stat line");
        }
        long value = 0;
        for (; i < to; i++) {
            int d = line[i] - '0';
            if (d < 0 || d > 9) {
                throw new NumberFormatException("not a number in a /proc/PID/stat line: "
                        + new String(line, from, to - from, StandardCharsets.ISO_8859_1));
            }
            value = value * 10 + d;
        }
        return negative ? -value : value;
    }
}
