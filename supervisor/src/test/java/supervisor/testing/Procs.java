package supervisor.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import supervisor.platform.Cgroups;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;

/** Looks at the real process table for the tests. */
public final class Procs {
    private Procs() {
    }

    /** Live (non-zombie) processes whose environment holds {@code entry} exactly. */
    public static List<ProcStat> withEnv(String entry) {
        byte[] bytes = entry.getBytes(StandardCharsets.UTF_8);
        List<ProcStat> out = new ArrayList<>();
        for (ProcStat p : ProcFs.scan()) {
            if (!p.isDead() && ProcFs.environContains(p.pid(), bytes)) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * True for a guardian's command line: the launcher's ({@code sh .../guardian.sh}) or one a JVM
     * started ({@code sh -c SCRIPT supervisor-guardian}). Not "contains guardian": a task's own
     * command line may name a directory that does (a checkout called wt-guardian).
     */
    public static boolean isGuardianCmdline(String cmdline) {
        return cmdline.endsWith(" supervisor-guardian") || cmdline.matches("\\S*sh \\S*/guardian\\.sh");
    }

    public static String cmdline(int pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim();
        } catch (IOException e) {
            return "(gone)";
        }
    }

    /** The environment a process started with; empty when it is gone or unreadable. */
    public static Map<String, String> environ(int pid) {
        Map<String, String> env = new HashMap<>();
        try {
            String all = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8);
            for (String entry : all.split("\0")) {
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    env.put(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
        } catch (IOException e) {
            // gone
        }
        return env;
    }

    public static String describe(List<ProcStat> ps) {
        StringBuilder b = new StringBuilder();
        for (ProcStat p : ps) {
            b.append("\n  pid ").append(p.pid()).append(" ppid ").append(p.ppid()).append(" state ")
                    .append(p.state()).append(": ").append(cmdline(p.pid()));
        }
        return b.toString();
    }

    /** Fails unless no live process carries {@code entry} within {@code timeout}. */
    public static void assertNoneLeft(String entry, Duration timeout) {
        if (!Await.within(timeout, () -> withEnv(entry).isEmpty())) {
            throw new AssertionError("processes left behind:" + describe(withEnv(entry)));
        }
    }

    /** Zombies whose parent is {@code pid}. */
    /**
     * Live processes whose command line is exactly {@code cmdline} (words joined by spaces): for
     * processes that cleared their environment, which no test marker can then find.
     */
    public static List<ProcStat> withCmdline(String cmdline) {
        List<ProcStat> found = new ArrayList<>();
        for (ProcStat p : ProcFs.scan()) {
            if (!p.isDead() && cmdline.equals(cmdline(p.pid()))) {
                found.add(p);
            }
        }
        return found;
    }

    public static List<ProcStat> zombieChildren(int pid) {
        return zombieChildrenSince(pid, 0);
    }

    /**
     * The zombie children of {@code pid} that started at or after {@code ticks} (clock ticks since
     * boot, as {@link #ticksNow()} gives): what one test made. Integration-test classes share a
     * forked JVM, and a class before this one may have made it a subreaper and left adopted zombies
     * of its own; they are not this test's to count.
     */
    public static List<ProcStat> zombieChildrenSince(int pid, long ticks) {
        List<ProcStat> out = new ArrayList<>();
        for (ProcStat p : ProcFs.scan()) {
            if (p.ppid() == pid && p.isDead() && p.startTime() >= ticks) {
                out.add(p);
            }
        }
        return out;
    }

    /** Now, in clock ticks since boot (the unit of a process's start time), less one for rounding. */
    public static long ticksNow() {
        try {
            String uptime = Files.readString(Path.of("/proc/uptime")).split(" ")[0];
            return (long) (Double.parseDouble(uptime) * ProcFs.TICKS_PER_SECOND) - 1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * The supervisor's cgroup directories (v2 leaves, v1 memory and pids directories) and temporary
     * directories that exist now: compare a set taken before a test with one taken after.
     */
    public static Set<String> supervisorLeftovers() {
        Set<String> found = new TreeSet<>();
        List<Optional<Path>> parents = List.of(Cgroups.writableV2Parent(),
                Cgroups.writableV1Parent("memory"), Cgroups.writableV1Parent("pids"),
                Optional.of(Path.of(System.getProperty("java.io.tmpdir"))));
        for (Optional<Path> parent : parents) {
            if (parent.isEmpty()) {
                continue;
            }
            try (Stream<Path> s = Files.list(parent.get())) {
                s.filter(d -> d.getFileName().toString().startsWith("supervisor-")).forEach(d -> found.add(d.toString()));
            } catch (IOException e) {
                // gone
            }
        }
        return found;
    }
}
