package supervisor.confine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import supervisor.launch.LaunchException;
import supervisor.log.Log;
import supervisor.sandbox.Sandbox;
import supervisor.sandbox.TaskUser;

/**
 * One task's sandbox, made of util-linux's {@code unshare} and {@code setpriv} and a short perl
 * program ({@code enter.pl}, which says why perl), as a prefix to the task's command:
 * {@code unshare [--user --map-root-user] [--mount --propagation private] [--net] [--pid] --
 * perl -e ENTER ... -- COMMAND}. It runs inside the spawn, after the spawn has joined the
 * cgroups and set the rlimits as root, so nothing of the supervisor's containment changes; the
 * pid the supervisor holds is the outer one, which ends as the task ends (its exit code, or its
 * signal).
 *
 * <p>All of the sandbox's decisions are here: what the machine allows ({@link #enter}, which
 * refuses a part it cannot have, or drops it with a warning under best effort), who the task
 * runs as (a named or dynamic user, held until {@link #close()}), which paths it sees read-only
 * and read-write, which files the supervisor gives to the task's user.
 *
 * <p>Why not bubblewrap: it is not installed by default (util-linux and perl-base are Essential
 * in Debian), it has no user switch of its own (setpriv would still be needed), and its pid
 * namespace's init reports a task killed by a signal as the exit status 128+N, where the
 * supervisor reports "killed by SIGTERM" exactly.
 */
public final class Confinement implements AutoCloseable {
    /** How the sandbox's own processes name themselves ({@code $0} in enter.pl): not the task's. */
    public static final String PROCESS_NAME = "supervisor-sandbox";
    /** Directories a read-only view covers: what the task needs in them must be bound back. */
    private static final List<Path> COVERED = List.of(Path.of("/home"), Path.of("/root"), Path.of("/tmp"), Path.of("/dev/shm"));
    private static final String ENTER = loadEnter();

    private final Sandbox sandbox; // the parts in force, after best effort
    private final boolean root;
    private final int uid; // -1: the supervisor's
    private final int gid;
    private final DynamicUsers.Held held;
    private final String unshare;
    private final String perl;
    private final String setpriv;
    private final int ownUid = id("Uid:");
    private final int ownGid = id("Gid:");

    private Confinement(Sandbox sandbox, boolean root, int uid, int gid, DynamicUsers.Held held,
                        String unshare, String perl, String setpriv) {
        this.sandbox = sandbox;
        this.root = root;
        this.uid = uid;
        this.gid = gid;
        this.held = held;
        this.unshare = unshare;
        this.perl = perl;
        this.setpriv = setpriv;
    }

    /**
     * The sandbox {@code wanted} as this machine can give it: a part it cannot have refuses the
     * start (status 125, one line naming the part and why), or, with best effort, is dropped with
     * a warning. A dynamic user is allocated here; {@link #close()} frees it.
     *
     * @param find finds a helper program by name (the spawn's own finder: never the task's PATH)
     * @throws LaunchException 125 naming what is missing
     */
    public static Confinement enter(Sandbox wanted, Function<String, Optional<String>> find) throws LaunchException {
        Sandbox s = wanted;
        String unshare = find.apply("unshare").orElse(null);
        String perl = find.apply("perl").orElse(null);
        String setpriv = find.apply("setpriv").orElse(null);
        String tools = unshare == null ? "unshare (util-linux)" : perl == null ? "perl (perl-base)"
                : setpriv == null ? "setpriv (util-linux)" : null;
        if (tools != null) {
            missing(s, "any part", tools + " is not installed");
            return new Confinement(Sandbox.NONE, false, -1, -1, null, null, null, null);
        }
        boolean root = euid() == 0;
        if (!root && s.user() != TaskUser.SUPERVISOR) {
            missing(s, "the task's user " + s.user(), "switching users needs root");
            s = s.withUser(TaskUser.SUPERVISOR);
        }
        if (!root && (s.privateNetwork() || s.readOnly() || s.privatePids())) {
            String why = userNamespacesOff();
            if (why != null) {
                missing(s, parts(s), "not root, and user namespaces are off (" + why + ")");
                s = s.withPrivateNetwork(false).withReadOnly(false).withPrivatePids(false);
            }
        }
        int uid = -1;
        int gid = -1;
        DynamicUsers.Held held = null;
        if (s.user() == TaskUser.DYNAMIC) {
            try {
                held = DynamicUsers.allocate();
            } catch (IOException e) {
                throw LaunchException.supervisorFailed("sandbox: cannot allocate a dynamic user: " + e.getMessage(), e);
            }
            uid = held.uid();
            gid = held.uid();
        } else if (s.user().name() != null) {
            int[] ids = lookUp(s.user().name());
            uid = ids[0];
            gid = ids[1];
        }
        return new Confinement(s, root, uid, gid, held, unshare, perl, setpriv);
    }

    private static void missing(Sandbox s, String part, String why) throws LaunchException {
        if (!s.bestEffort()) {
            throw LaunchException.supervisorFailed("sandbox: cannot have " + part + ": " + why
                    + " (--sandbox-best-effort runs without it)");
        }
        Log.warn("sandbox: running without " + part + ": " + why + " (best effort)");
    }

    private static String parts(Sandbox s) {
        List<String> p = new ArrayList<>();
        if (s.privateNetwork()) {
            p.add("a private network");
        }
        if (s.readOnly()) {
            p.add("a read-only view");
        }
        if (s.privatePids()) {
            p.add("a private process table");
        }
        return String.join(", ", p);
    }

    /** Why an unprivileged user namespace cannot be had, or null when it can. */
    private static String userNamespacesOff() {
        if (read("/proc/sys/user/max_user_namespaces").equals("0")) {
            return "user.max_user_namespaces = 0";
        }
        if (read("/proc/sys/kernel/unprivileged_userns_clone").equals("0")) {
            return "kernel.unprivileged_userns_clone = 0";
        }
        if (read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").equals("1")) {
            return "kernel.apparmor_restrict_unprivileged_userns = 1";
        }
        return null;
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static int euid() {
        return id("Uid:");
    }

    /** This process's effective uid ("Uid:") or gid ("Gid:"), -1 when unknown. */
    private static int id(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Integer.parseInt(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no sandbox can be had anyway
        }
        return -1;
    }

    /** A named user's uid and primary gid (/etc/passwd), or a number as UID or UID:GID. */
    private static int[] lookUp(String name) throws LaunchException {
        if (name.matches("[0-9]{1,9}(:[0-9]{1,9})?")) {
            String[] f = name.split(":");
            int u = Integer.parseInt(f[0]);
            return new int[] {u, f.length > 1 ? Integer.parseInt(f[1]) : u};
        }
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 3 && f[0].equals(name)) {
                    return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw LaunchException.supervisorFailed("sandbox: cannot look up the user " + name + " in /etc/passwd: " + e.getMessage(), e);
        }
        throw LaunchException.supervisorFailed("sandbox: no user named " + name + " in /etc/passwd");
    }

    /** The parts in force (after best effort). */
    public Sandbox sandbox() {
        return sandbox;
    }

    /** Whether the task runs as another user than the supervisor's. */
    public boolean changesUser() {
        return uid >= 0;
    }

    /** The task's uid, -1 for the supervisor's. */
    public int uid() {
        return uid;
    }

    /**
     * Processes of the sandbox's own around the task, which a process limit must leave room for:
     * with a pid namespace, the process the supervisor holds and the namespace's init.
     */
    public int helperProcesses() {
        return sandbox.privatePids() ? 2 : 0;
    }

    /**
     * Gives {@code path}, which the supervisor made for the task (its private tmp, temporary
     * working directory, notify socket's directory), to the task's user. Never anything else: a
     * chown of what the supervisor did not make would hand the task someone else's file.
     */
    public void giveTo(Path path) throws IOException {
        if (uid < 0) {
            return;
        }
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Takes back a directory given with {@link #giveTo} that outlives the run (a kept temporary
     * working directory): the uid may be another run's tomorrow, which must not enter it. Only
     * the directory itself: what the task made inside stays as it is, out of reach (0700).
     */
    public void takeBack(Path dir) {
        if (uid < 0) {
            return;
        }
        try {
            Files.setAttribute(dir, "unix:uid", ownUid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(dir, "unix:gid", ownGid, LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            Log.warn("sandbox: cannot take back " + dir + " from the task's user " + uid + ": " + e.getMessage());
        }
    }

    /** A working directory the user gave must be the task user's to write: a 125 naming why not. */
    public void checkWritable(Path dir, String what) throws LaunchException {
        if (uid < 0) {
            return;
        }
        try {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class);
            int owner = ((Number) Files.getAttribute(dir, "unix:uid")).intValue();
            int group = ((Number) Files.getAttribute(dir, "unix:gid")).intValue();
            Set<PosixFilePermission> p = a.permissions();
            boolean ok = owner == uid ? p.contains(PosixFilePermission.OWNER_WRITE) && p.contains(PosixFilePermission.OWNER_EXECUTE)
                    : group == gid ? p.contains(PosixFilePermission.GROUP_WRITE) && p.contains(PosixFilePermission.GROUP_EXECUTE)
                    : p.contains(PosixFilePermission.OTHERS_WRITE) && p.contains(PosixFilePermission.OTHERS_EXECUTE);
            if (!ok) {
                throw LaunchException.supervisorFailed("sandbox: " + what + " " + dir + " is not writable by the task's user "
                        + uid + " (owner " + owner + ", mode " + PosixFilePermissions.toString(p)
                        + "): give it to that user, or use --temp-workdir");
            }
        } catch (IOException e) {
            throw LaunchException.supervisorFailed("sandbox: " + what + " " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The paths of {@code command} (its program, class path entries, {@code -Dx=/path} values)
     * that a read-only view would cover (/home, /root, /tmp, /dev/shm): bound back read-only so
     * that the task can run. A JVM's whole home is shown when its java is covered.
     */
    public List<Path> pathsToShow(List<String> command, boolean jvm) {
        if (!sandbox.readOnly()) {
            return List.of();
        }
        Set<Path> show = new LinkedHashSet<>();
        for (int i = 0; i < command.size(); i++) {
            String word = command.get(i);
            if (i == 0 && jvm) {
                Path java = Path.of(word).toAbsolutePath().normalize();
                if (covered(java) && java.getParent() != null && java.getParent().getParent() != null) {
                    show.add(java.getParent().getParent());
                }
                continue;
            }
            String value = word.startsWith("@") ? word.substring(1) : word.substring(word.lastIndexOf('=') + 1);
            for (String part : value.split(":")) {
                if (part.startsWith("/")) {
                    Path p = Path.of(part).normalize();
                    if (covered(p) && Files.exists(p)) {
                        show.add(p);
                    }
                }
            }
        }
        return List.copyOf(show);
    }

    private static boolean covered(Path p) {
        for (Path c : COVERED) {
            if (p.startsWith(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The words before the task's command: the sandbox as a command that ends by exec'ing it;
     * empty when no part is in force.
     *
     * @param show paths bound back read-only (see {@link #pathsToShow})
     * @param readWrite the task's working directory (given or temporary), private tmp, notify
     *     socket's directory; the user's read-write paths are added here
     * @param give descriptors that are pipes this supervisor made for the task and that it
     *     reopens through /proc/self/fd (a pool worker's protocol, fd 3): given to its user
     */
    public List<String> prefix(List<Path> show, List<Path> readWrite, List<Integer> give) throws LaunchException {
        if (!sandbox.any()) {
            return List.of();
        }
        List<Path> rw = new ArrayList<>(readWrite);
        for (Path p : sandbox.readWrite()) {
            Path abs = p.toAbsolutePath().normalize();
            if (abs.getNameCount() == 0) {
                throw LaunchException.supervisorFailed("sandbox: / cannot be read-write: that is no read-only view");
            }
            if (!Files.exists(abs)) {
                throw LaunchException.supervisorFailed("sandbox: the read-write path " + p + " does not exist");
            }
            rw.add(abs);
        }
        boolean mountNs = sandbox.readOnly() || sandbox.privatePids();
        List<String> words = new ArrayList<>();
        words.add(unshare);
        if (!root) {
            words.addAll(List.of("--user", "--map-root-user"));
        }
        if (mountNs) {
            words.addAll(List.of("--mount", "--propagation", "private"));
        }
        if (sandbox.privateNetwork()) {
            words.add("--net");
        }
        if (sandbox.privatePids()) {
            words.add("--pid");
        }
        words.addAll(List.of("--", perl, "-e", ENTER, setpriv,
                uid < 0 ? "-" : Integer.toString(uid), gid < 0 ? "-" : Integer.toString(gid),
                sandbox.privateNetwork() ? "1" : "0", sandbox.readOnly() ? "1" : "0", sandbox.privatePids() ? "1" : "0",
                give.isEmpty() ? "-" : give.stream().map(String::valueOf).collect(Collectors.joining(","))));
        List<Path> shown = sandbox.readOnly() ? show : List.of();
        List<Path> writable = sandbox.readOnly() ? rw : List.of();
        words.add(Integer.toString(shown.size()));
        words.add(Integer.toString(writable.size()));
        shown.forEach(p -> words.add(p.toString()));
        writable.forEach(p -> words.add(p.toString()));
        words.add("--");
        return words;
    }

    /** Frees a dynamic user: call once none of the task's processes can be left. */
    @Override
    public void close() {
        if (held != null) {
            held.close();
        }
    }

    /** enter.pl without its comment lines: it goes on the command line, which ps shows. */
    private static String loadEnter() {
        try (InputStream in = Confinement.class.getResourceAsStream("enter.pl")) {
            if (in == null) {
                throw new IllegalStateException("enter.pl is missing from the supervisor's jar");
            }
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                return r.lines().filter(l -> !l.stripLeading().startsWith("#"))
                        .map(l -> l.replaceAll(" +# [^'\"]*$", ""))
                        .collect(Collectors.joining("\n", "", "\n"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
