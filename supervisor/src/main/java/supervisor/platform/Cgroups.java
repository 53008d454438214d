package supervisor.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one place that reads and writes cgroup files: where the hierarchies are mounted, which
 * cgroup this process is in, and the directories made for tasks. Both layouts are handled: the
 * unified cgroup2 hierarchy, and cgroup v1 controllers (a hybrid machine has both).
 *
 * <p>Names of new directories never derive from a pid alone: in a container every supervisor is
 * pid 1, and a pid is reused. They carry a random part, and a name that exists already is never
 * taken over: creation fails on it and tries another.
 */
public final class Cgroups {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
    private static final Path SELF = Path.of("/proc/self/cgroup");

    private Cgroups() {
    }

    /**
     * The cgroup2 directory this process is in, when it is writable and its children support
     * {@code cgroup.kill}; empty otherwise (no cgroup2 mount, no permission, an old kernel).
     */
    public static Optional<Path> writableV2Parent() {
        try {
            String own = ownCgroup(null);
            Path dir = own == null ? null : dirOf(Files.readAllLines(MOUNTINFO), "cgroup2", null, own);
            if (dir == null) {
                return Optional.empty();
            }
            // The root cgroup has no cgroup.kill of its own, but its children do.
            if (Files.isWritable(dir) && (Files.exists(dir.resolve("cgroup.kill")) || own.equals("/"))) {
                return Optional.of(dir);
            }
        } catch (IOException | RuntimeException e) {
            // no usable hierarchy
        }
        return Optional.empty();
    }

    /** The writable directory of this process in the cgroup v1 hierarchy of {@code controller}. */
    public static Optional<Path> writableV1Parent(String controller) {
        try {
            String own = ownCgroup(controller);
            Path dir = own == null ? null : dirOf(Files.readAllLines(MOUNTINFO), "cgroup", controller, own);
            return dir != null && Files.isWritable(dir) ? Optional.of(dir) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Creates a new directory {@code prefix-RANDOM} below {@code parent}. A stale directory of the
     * same name (another supervisor's, a crashed one's) is never reused: another name is drawn.
     */
    public static Path createUnique(Path parent, String prefix) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path dir = parent.resolve(prefix + "-" + randomName());
            try {
                Files.createDirectory(dir);
                return dir;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 8) {
                    throw e;
                }
            }
        }
    }

    /** 16 hex digits; unique enough that a clash is a retry, never a failure. */
    public static String randomName() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | 1L << 63);
    }

    /** Moves a process (all its threads) into {@code dir}. */
    public static void admit(Path dir, int pid) throws IOException {
        Files.writeString(dir.resolve("cgroup.procs"), Integer.toString(pid));
    }

    public static void write(Path dir, String file, String value) throws IOException {
        Files.writeString(dir.resolve(file), value);
    }

    /** The pids in {@code dir}. */
    public static List<Integer> pids(Path dir) throws IOException {
        List<Integer> pids = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("cgroup.procs"), StandardCharsets.US_ASCII)) {
            if (!line.isBlank()) {
                pids.add(Integer.parseInt(line.trim()));
            }
        }
        return pids;
    }

    /** The number after {@code key} in a flat-keyed file ("oom_kill 1", "populated 0"), or -1. */
    public static long value(Path dir, String file, String key) {
        try {
            for (String line : Files.readAllLines(dir.resolve(file), StandardCharsets.US_ASCII)) {
                if (line.startsWith(key + " ")) {
                    return Long.parseLong(line.substring(key.length() + 1).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** The number a single-value file holds ("memory.peak"), or -1. */
    public static long number(Path dir, String file) {
        try {
            return Long.parseLong(Files.readString(dir.resolve(file), StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Removes an empty cgroup directory; false while processes remain or when it is gone. */
    public static boolean remove(Path dir) {
        try {
            Files.deleteIfExists(dir);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Where cgroup {@code own} of a hierarchy ("cgroup2", or "cgroup" with {@code controller} among
     * its options) is seen in this mount namespace, from the lines of /proc/self/mountinfo; null
     * where no mount shows it.
     *
     * <p>A mount may show only part of a hierarchy: its root field (the fourth) is the cgroup at its
     * mount point. A container's runtime often bind-mounts the container's own cgroup that way, and
     * a container without a cgroup namespace still sees its full path in /proc/self/cgroup; so
     * {@code own} is found below the mount whose root is the longest prefix of it, and a mount that
     * does not hold it is never used (a directory there with the same name would be someone else's).
     */
    static Path dirOf(List<String> mountinfo, String type, String controller, String own) {
        Path best = null;
        int bestRoot = -1;
        for (String line : mountinfo) {
            // "36 35 0:30 / /sys/fs/cgroup/unified rw,... shared:5 - cgroup2 cgroup2 rw"
            int dash = line.indexOf(" - ");
            if (dash < 0 || !line.startsWith(type + " ", dash + 3)) {
                continue;
            }
            String[] after = line.substring(dash + 3).split(" ");
            if (controller != null && (after.length < 3 || !List.of(after[2].split(",")).contains(controller))) {
                continue;
            }
            String[] before = line.substring(0, dash).split(" ");
            if (before.length < 5) {
                continue;
            }
            String root = unescape(before[3]);
            String rest = relativeTo(root, own);
            if (rest != null && root.length() > bestRoot) {
                Path point = Path.of(unescape(before[4]));
                best = rest.isEmpty() ? point : point.resolve(rest);
                bestRoot = root.length();
            }
        }
        return best;
    }

    /** {@code own} below {@code root} without a leading slash ("" for root itself), or null. */
    private static String relativeTo(String root, String own) {
        if (root.equals("/")) {
            return own.startsWith("/") ? own.substring(1) : own;
        }
        if (own.equals(root)) {
            return "";
        }
        return own.startsWith(root + "/") ? own.substring(root.length() + 1) : null;
    }

    /** mountinfo's octal escapes of space, tab, newline and backslash. */
    private static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }

    /** This process's cgroup path: in cgroup2 ({@code controller} null) or in a v1 controller's hierarchy. */
    private static String ownCgroup(String controller) throws IOException {
        for (String line : Files.readAllLines(SELF)) {
            String[] f = line.split(":", 3);
            if (f.length != 3) {
                continue;
            }
            if (controller == null ? f[0].equals("0") && f[1].isEmpty() : List.of(f[1].split(",")).contains(controller)) {
                return f[2];
            }
        }
        return null;
    }
}
