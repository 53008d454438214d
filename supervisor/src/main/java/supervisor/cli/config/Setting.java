package supervisor.cli.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import supervisor.cli.service.Readiness;
import supervisor.log.Printable;
import supervisor.platform.Signal;
import supervisor.units.Durations;
import supervisor.units.Sizes;

/**
 * One setting: its key in a config file, its environment variable, its default and how a value is
 * checked. The command-line option of the same name (--KEY) is defined by each command.
 */
public enum Setting {
    // No lambdas here: this enum is initialised on every start, and each lambda's bootstrap costs.
    // What to run, for a config file that names its task (a service's /etc/supervisor/NAME.conf).
    JAR("jar", "", "run: the task jar, when the command line names no task (excludes program)", Kind.PATH),
    PROGRAM("program", "", "run: the program and its arguments, separated by spaces, when the command line names"
            + " no task (excludes jar; found in PATH; no quotes: put a command that needs them in a script)",
            Kind.WORDS),
    TASK_ARGS("task-args", "", "run: arguments after those of jar or program, separated by spaces (no quotes)",
            Kind.WORDS),
    TIMEOUT("timeout", "0", "run: stop the task this long after it started; pool: per call (0 = none)", Kind.DURATION),
    GRACE("grace", "5s", "time between SIGTERM (or a call's cancel) and SIGKILL", Kind.DURATION),
    JVM_OPTS("jvm-opts", "", "options for the task or worker JVMs, separated by spaces", Kind.TEXT),
    JAVA("java", "", "the java that runs tasks and workers (empty: JAVA_HOME's, else PATH's)", Kind.TEXT),
    TERMINATION("termination", "auto", "how a task's processes are held and killed: auto, cgroup or tree", Kind.MECHANISM),
    KILL_MODE("kill-mode", "tree", "who gets the stop signal: tree (every process of the task, as systemd's"
            + " KillMode=control-group) or task (the task and its process group, as KillMode=mixed)", Kind.KILL_MODE),
    WAIT_DESCENDANTS("wait-descendants", "no", "run: when the task exits, wait for the processes it left running to"
            + " exit by themselves instead of stopping them; the timeout and signals still stop them (yes or no)",
            Kind.YES_NO),
    STOP_SIGNAL("stop-signal", "TERM", "the signal that asks a task to stop (as timeout -s and KillSignal=)", Kind.SIGNAL),
    READY("ready", "start", "run: when the task is ready (READY=1 to systemd), and healthy for the watchdog: start,"
            + " notify (it says READY=1 on its own NOTIFY_SOCKET), tcp:PORT (127.0.0.1:PORT accepts connections)"
            + " or file:PATH (the file exists)", Kind.READY),
    READY_TIMEOUT("ready-timeout", "0", "run: stop the task, status 120, if it is not ready this long after it"
            + " started (0 = no limit)", Kind.DURATION),
    HEALTH_FILE("health-file", "", "run: keep the task's state in this file for probes that run a command"
            + " (supervisor probe; a Kubernetes exec probe): ready once --ready passes, and a beat every second while"
            + " the task is alive, not frozen and passing its probe (empty: none; see docs/kubernetes.md)", Kind.PATH),
    PRIVATE_TMP("private-tmp", "no", "run: give the task a private TMPDIR and java.io.tmpdir, removed after it"
            + " (yes or no; pool workers always have one)", Kind.YES_NO),
    SANDBOX("sandbox", "no", "run and pool: keep the task (each worker) from everything at once: a dynamic user,"
            + " no network, a read-only view, its own process table; each part below may change it (yes or no;"
            + " see docs/security.md)", Kind.YES_NO),
    SANDBOX_USER("sandbox-user", "", "run and pool: the task's user: none (the supervisor's), dynamic (one of its own"
            + " for the run), or a user's name or uid; needs root (empty: dynamic with sandbox, else none)", Kind.USER),
    SANDBOX_NETWORK("sandbox-network", "", "run and pool: host, or private (only a loopback of its own)"
            + " (empty: private with sandbox, else host)", Kind.HOST_OR_PRIVATE),
    SANDBOX_FILESYSTEM("sandbox-filesystem", "", "run and pool: host, or read-only (all but its working directory,"
            + " private tmp and sandbox-rw; /home and /root hidden) (empty: read-only with sandbox, else host)",
            Kind.FILESYSTEM),
    SANDBOX_PIDS("sandbox-pids", "", "run and pool: host, or private (a pid namespace: it sees and signals its own"
            + " tree only) (empty: private with sandbox, else host)", Kind.HOST_OR_PRIVATE),
    SANDBOX_RW("sandbox-rw", "", "run and pool: more paths a read-only view leaves writable, separated by spaces",
            Kind.WORDS),
    SANDBOX_BEST_EFFORT("sandbox-best-effort", "no", "run and pool: run without a sandbox part the machine cannot"
            + " give (said on stderr) instead of refusing with status 125 (yes or no)", Kind.YES_NO),
    THREAD_DUMP("thread-dump", "yes", "run: at a timeout, and when a stop asked for by a signal outlives its grace,"
            + " write a thread dump of the task's JVMs to a file before the stop signal or the kill (yes or no)",
            Kind.YES_NO),
    DUMP_DIR("dump-dir", "", "run: the directory thread dumps are written to (empty: the supervisor's working"
            + " directory)", Kind.PATH),
    LOG_LEVEL("log-level", "info", "the supervisor's own messages: info, or debug for more", Kind.LEVEL),
    REPORT("report", "", "write a JSON report of each run to this file, replacing it whole (empty: none;"
            + " see docs/report.md)", Kind.PATH),
    MEMORY("memory", "", "cap the task's (or each worker's) memory, at least 32M, e.g. 512M (empty: none)", Kind.MEMORY),
    CPU_TIME("cpu-time", "0", "cap the CPU time of each process of the task (0 = none)", Kind.DURATION),
    MAX_PROCS("max-procs", "0", "cap the processes and threads of the task's tree (0 = none; at most 4194304, the"
            + " kernel's own limit)", Kind.PROCS),
    MAX_OUTPUT("max-output", "", "run: cap the task's stdout plus stderr, e.g. 100m (empty: none)", Kind.SIZE),
    WORKERS("workers", "", "pool: worker JVMs, 1 to 1024 (empty: the number of CPUs)", Kind.WORKERS),
    RETRIES("retries", "0", "pool: tries again for a call that timed out or whose worker crashed", Kind.COUNT),
    MAX_CALLS("max-calls", "0", "pool: recycle a worker after this many calls (0 = never)", Kind.COUNT),
    PIPELINE("pipeline", "1", "pool: calls a worker may be sent before it has answered them, 1 to 1024", Kind.PIPELINE),
    STARTUP_TIMEOUT("startup-timeout", "30s", "pool: time a worker has to start and load its task", Kind.DURATION),
    MAX_FRAME("max-frame", "67108864", "pool: the largest protocol frame in bytes", Kind.FRAME),
    QUEUE("queue", "1024", "pool: calls that may wait for a worker before submit blocks", Kind.POSITIVE);

    private enum Kind { USER, HOST_OR_PRIVATE, FILESYSTEM, DURATION, TEXT, WORDS, PATH, MECHANISM, KILL_MODE, SIGNAL, READY, YES_NO, LEVEL, SIZE, MEMORY, COUNT, POSITIVE,
        POSITIVE_OR_EMPTY, FRAME, PROCS, WORKERS, PIPELINE }

    public final String key;
    public final String defaultValue;
    public final String description;
    private final Kind kind;

    Setting(String key, String defaultValue, String description, Kind kind) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.description = description;
        this.kind = kind;
    }

    /** SUPERVISOR_TIMEOUT for "timeout". */
    public String environmentVariable() {
        return "SUPERVISOR_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The setting a config-file key names, or null. */
    public static Setting byKey(String key) {
        for (Setting s : values()) {
            if (s.key.equals(key)) {
                return s;
            }
        }
        return null;
    }

    /** @throws IllegalArgumentException with a message that names the problem */
    public void check(String value) {
        switch (kind) {
            case DURATION -> duration(value);
            case TEXT -> { }
            case WORDS -> words(value);
            case PATH -> path(value);
            case MECHANISM -> oneOf(value, "auto", "cgroup", "tree");
            case KILL_MODE -> oneOf(value, "tree", "task");
            case SIGNAL -> signal(value);
            case READY -> Readiness.parse(value);
            case YES_NO -> oneOf(value, "yes", "no");
            case HOST_OR_PRIVATE -> oneOf(value, "", "host", "private");
            case FILESYSTEM -> oneOf(value, "", "host", "read-only");
            case USER -> user(value);
            case LEVEL -> oneOf(value, "info", "debug");
            case SIZE -> size(value);
            case MEMORY -> memory(value);
            case COUNT -> number(value, 0, false);
            case PROCS -> bounded(value, 0, 4_194_304, false); // PID_MAX_LIMIT: pids.max takes no more
            case WORKERS -> bounded(value, 1, 1024, true); // each is a JVM: more is a typo, not a pool
            case PIPELINE -> bounded(value, 1, 1024, false); // the protocol's own bound
            case POSITIVE -> number(value, 1, false);
            case POSITIVE_OR_EMPTY -> number(value, 1, true);
            default -> number(value, 1024, false);
        }
    }

    private static void signal(String v) {
        int n = Signal.number(v);
        // KILL comes after the grace anyway; STOP, CONT and the rest never end a process.
        boolean stops = n > 0 && n != Signal.KILL && n != Signal.STOP
                && n != Signal.CONT && n != Signal.CHLD
                && n != 20 && n != 21 && n != 22 && n != 23 && n != 28; // TSTP TTIN TTOU URG WINCH
        if (!stops) {
            throw new IllegalArgumentException(Printable.quote(v) + " is not a signal that asks a process to stop"
                    + " (expected TERM, INT or HUP)");
        }
        String jvm = whatAJvmDoesWith(n);
        if (jvm != null) {
            throw new IllegalArgumentException(Printable.quote(v) + " does not ask a JVM task to stop: " + jvm
                    + " (expected TERM, INT or HUP)");
        }
    }

    /**
     * What HotSpot does with a signal instead of stopping, or null when it stops (measured with
     * OpenJDK 17: USR2 is its own, and kill -USR2 crashes it; ILL, BUS, FPE and SEGV from kill
     * are crashes to it too; QUIT prints a thread dump on the task's stdout; PIPE and XFSZ are
     * ignored).
     */
    private static String whatAJvmDoesWith(int n) {
        return switch (Signal.name(n)) {
            case "SIGUSR2", "SIGILL", "SIGBUS", "SIGFPE", "SIGSEGV" ->
                    "a JVM crashes on it (an hs_err file, no shutdown hooks)";
            case "SIGQUIT" -> "a JVM prints a thread dump on the task's stdout and goes on";
            case "SIGPIPE", "SIGXFSZ" -> "a JVM ignores it";
            default -> null;
        };
    }

    /**
     * Words split at spaces and tabs, and nothing else: a quote or a backslash would be taken for
     * part of a word, where a reader of the file expects a shell's quoting; so they are refused.
     */
    private static void words(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\'' || c == '\\') {
                throw new IllegalArgumentException(Printable.quote(v) + " has a quote or a backslash: the words are"
                        + " split at spaces and tabs, and nothing is unquoted (put a command that needs them in a script)");
            }
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                throw new IllegalArgumentException(Printable.quote(v) + " has a control character");
            }
        }
    }

    /** A value of words (program, task-args) as the list it stands for; empty for none. */
    public static List<String> wordsOf(String v) {
        String t = v.strip();
        return t.isEmpty() ? List.of() : List.of(t.split("[ \t]+"));
    }

    /** A path the platform can name (no NUL); whether its directory exists is the command's to check. */
    private static void path(String v) {
        try {
            Path.of(v);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(Printable.quote(v) + " is not a path (" + e.getReason() + ")");
        }
    }

    /** none, dynamic, a name as useradd takes it, or a uid (UID:GID). */
    private static void user(String v) {
        if (!v.isEmpty() && !v.matches("[a-z_][a-z0-9_.-]{0,31}\\$?|[0-9]{1,9}(:[0-9]{1,9})?")) {
            throw new IllegalArgumentException(Printable.quote(v) + " is not a user (expected none, dynamic, a user's"
                    + " name or a uid)");
        }
    }

    private static void duration(String v) {
        Durations.parseNanos(v);
    }

    private static void size(String v) {
        if (!v.isEmpty()) {
            Sizes.parse(v);
        }
    }

    private static void memory(String v) {
        if (!v.isEmpty()) {
            Sizes.parseMemory(v);
        }
    }

    private static void oneOf(String v, String... allowed) {
        for (String a : allowed) {
            if (a.equals(v)) {
                return;
            }
        }
        throw new IllegalArgumentException(Printable.quote(v) + " is not one of " + String.join(", ", allowed)
                .replaceFirst("^, ", "") + (allowed[0].isEmpty() ? " (or empty)" : ""));
    }

    /** ASCII digits only, from {@code min} to {@code max}: one message names the whole range. */
    private static void bounded(String v, long min, long max, boolean emptyAllowed) {
        number(v, min, max, emptyAllowed);
    }

    private static void number(String v, long min, boolean emptyAllowed) {
        number(v, min, Integer.MAX_VALUE, emptyAllowed);
    }

    /** ASCII digits only: Long.parseLong would also take '+' and the digits of other scripts. */
    private static void number(String v, long min, long max, boolean emptyAllowed) {
        if (emptyAllowed && v.isEmpty()) {
            return;
        }
        long n = v.isEmpty() ? -1 : 0;
        for (int i = 0; i < v.length() && n >= 0; i++) {
            char c = v.charAt(i);
            // Saturate just above the bound instead of overflowing.
            n = Durations.isAsciiDigit(c) ? Math.min(n * 10 + (c - '0'), max + 1L) : -1;
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(Printable.quote(v) + " is not a whole number from " + min
                    + " to " + max + " (ASCII digits only)");
        }
    }
}
