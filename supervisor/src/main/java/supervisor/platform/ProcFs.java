package supervisor.platform;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
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
        return parse(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
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
        byte[] env;
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/environ")) {
            env = in.readAllBytes();
        } catch (IOException e) {
            return false;
        }
        int start = 0;
        for (int i = 0; i <= env.length; i++) {
            if (i == env.length || env[i] == 0) {
                if (i - start == entry.length && regionEquals(env, start, entry)) {
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
                String text;
                try {
                    text = Files.readString(task.resolve("children"), StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                for (String word : text.trim().split(" ")) {
                    if (!word.isEmpty()) {
                        out.add(Integer.parseInt(word));
                    }
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** Clock ticks per second of /proc start times; 100 on every Linux build that matters. */
    public static final long TICKS_PER_SECOND = 100;

    /** The CPU time (user + system, fields 14 and 15) a live process has used so far, or -1. */
    public static long cpuNanos(int pid) {
        try {
            String line = new String(java.nio.file.Files.readAllBytes(PROC.resolve(Integer.toString(pid)).resolve("stat")),
                    java.nio.charset.StandardCharsets.US_ASCII);
            String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
            long ticks = Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
            return ticks * (1_000_000_000L / TICKS_PER_SECOND);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * The CPU time (fields 16 and 17, cutime and cstime) of the children {@code pid} has waited
     * for, and of theirs in turn, or -1.
     */
    public static long childrenCpuNanos(int pid) {
        try {
            String line = new String(Files.readAllBytes(PROC.resolve(Integer.toString(pid)).resolve("stat")),
                    StandardCharsets.US_ASCII);
            String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
            long ticks = Long.parseLong(f[16 - 3]) + Long.parseLong(f[17 - 3]);
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
        // "pid (comm) state ppid ..." where comm may itself hold spaces and parentheses: the
        // fields after comm start after the LAST ')'.
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        int pid = Integer.parseInt(line.substring(0, open).trim());
        String comm = line.substring(open + 1, close);
        String[] f = line.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state); field N is f[N - 3].
        char state = f[0].charAt(0);
        int ppid = Integer.parseInt(f[1]);
        int pgrp = Integer.parseInt(f[2]);
        int session = Integer.parseInt(f[3]);
        long start = Long.parseLong(f[22 - 3]);
        int exitCode = f.length > 52 - 3 ? Integer.parseInt(f[52 - 3]) : 0;
        return new ProcStat(pid, comm, state, ppid, pgrp, session, start, exitCode);
    }
}
