package supervisor.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import supervisor.cli.config.ConfigException;
import supervisor.cli.config.Setting;
import supervisor.cli.config.Settings;
import supervisor.cli.report.Report;
import supervisor.limits.Limits;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.log.Reasons;
import supervisor.sandbox.Sandbox;
import supervisor.sandbox.TaskUser;
import supervisor.units.Durations;
import supervisor.units.Sizes;

/**
 * A command line's options resolved against the environment, the config file and the defaults.
 * Options named after a setting (--timeout, --grace, --java, ...) set it; --jvm-opt may repeat;
 * --config names the file; -v sets log-level to debug.
 */
final class Configured {
    /** This process's standard input, as a path whose attributes are those of the open file. */
    static final Path STDIN = Path.of("/proc/self/fd/0");

    final Args args;
    final Settings settings;
    /** --jvm-opt values as given, each one whole (a config file splits on spaces). */
    private final List<String> jvmOptions = new ArrayList<>();

    /** How a usage error names the report's setting: "--report", the variable, or file:line. */
    private String reportName = "--report";

    Configured(Args args) throws UsageException, ConfigException {
        this.args = args;
        Map<Setting, String> cli = new EnumMap<>(Setting.class);
        Path config = null;
        for (String[] o : args.options) {
            String name = o[0].substring(2);
            if (name.equals("config")) {
                config = Path.of(o[1]);
                continue;
            }
            if (name.equals("jvm-opt")) {
                jvmOptions.add(o[1]);
                continue;
            }
            Setting s = Setting.byKey(name);
            if (s == null) {
                continue; // the command's own option
            }
            try {
                s.check(o[1]);
            } catch (IllegalArgumentException e) {
                throw new UsageException(o[0] + ": " + e.getMessage());
            }
            cli.put(s, o[1]);
        }
        if (!jvmOptions.isEmpty()) {
            cli.put(Setting.JVM_OPTS, String.join(" ", jvmOptions));
        }
        if (args.flags.contains("--private-tmp") && !cli.containsKey(Setting.PRIVATE_TMP)) {
            cli.put(Setting.PRIVATE_TMP, "yes"); // the flag alone; --private-tmp=no is a value
        }
        if (args.flags.contains("--sandbox") && !cli.containsKey(Setting.SANDBOX)) {
            cli.put(Setting.SANDBOX, "yes");
        }
        if (args.flags.contains("--sandbox-best-effort") && !cli.containsKey(Setting.SANDBOX_BEST_EFFORT)) {
            cli.put(Setting.SANDBOX_BEST_EFFORT, "yes");
        }
        if (args.flags.contains("--wait-descendants") && !cli.containsKey(Setting.WAIT_DESCENDANTS)) {
            cli.put(Setting.WAIT_DESCENDANTS, "yes");
        }
        if (args.flags.contains("--no-thread-dump")) {
            if (args.flags.contains("--thread-dump") || cli.containsKey(Setting.THREAD_DUMP)) {
                throw new UsageException("--no-thread-dump and --thread-dump exclude each other");
            }
            cli.put(Setting.THREAD_DUMP, "no");
        } else if (args.flags.contains("--thread-dump") && !cli.containsKey(Setting.THREAD_DUMP)) {
            cli.put(Setting.THREAD_DUMP, "yes");
        }
        if (args.verbose) {
            cli.put(Setting.LOG_LEVEL, "debug");
        }
        settings = Settings.load(cli, config, System.getenv());
        Log.setDebug(settings.get(Setting.LOG_LEVEL).equals("debug"));
    }

    /**
     * The report file the settings name ({@code --report}, {@code SUPERVISOR_REPORT}, {@code report =}),
     * checked like an output file before anything starts; null for none.
     */
    Path report() throws UsageException {
        String value = settings.get(Setting.REPORT);
        if (value.isEmpty()) {
            return null;
        }
        String source = settings.source(Setting.REPORT);
        reportName = source.equals("command line") ? "--report"
                : source.startsWith("environment ") ? source.substring("environment ".length()) : source + ": report";
        Path path = Path.of(value);
        checkReport(path, reportName);
        return path;
    }

    /** A file the supervisor reads or writes, as a message names it: "the worker jar 'w.jar'". */
    record Named(String what, Path path) {
        static Named of(String what, Path path) {
            return path == null ? null : new Named(what + " " + Printable.quote(path.toString()), path);
        }
    }

    /**
     * What the supervisor reads (the jar, the config file, the input) and what it writes (the
     * output, the report) are different files: an output opened on one of them would empty it,
     * and a report renamed over one would replace it. Compared by device and inode, following
     * links (what matters is the file they reach), before anything is opened for writing. A
     * report that is one of them is refused (the usage error's report is not written there
     * either); else the report's temporary file is made now, in the directory pinned for the
     * whole run (see {@link Report#open()}), so that a directory where no file can be created is
     * a usage error now rather than a lost report at the end.
     *
     * @param inputs the command's inputs (null for none); the config file read is added here
     * @param output the answers' file, or null
     */
    void ownFiles(Report report, Path output, Named... inputs) throws UsageException {
        List<Named> read = new ArrayList<>();
        for (Named n : inputs) {
            if (n != null) {
                read.add(n);
            }
        }
        if (settings.file() != null) {
            read.add(Named.of("the config file", settings.file()));
        }
        Path r = report.path();
        if (r != null) {
            List<Named> others = new ArrayList<>(read);
            if (output != null) {
                others.add(Named.of("the output file", output));
            }
            for (Named n : others) {
                if (sameFile(n.path(), r)) {
                    report.refuse(); // the usage error's report must not replace it either
                    throw new UsageException("the report " + Printable.quote(r.toString()) + " is " + n.what()
                            + ", which the report would replace; write it to another file");
                }
            }
        }
        for (Named n : read) {
            if (output != null && sameFile(n.path(), output)) {
                throw new UsageException("--output: " + Printable.quote(output.toString()) + " is " + n.what()
                        + ", which writing the answers would empty; write them to another file");
            }
        }
        if (r != null) {
            try {
                report.open();
            } catch (IOException e) {
                Path dir = r.toAbsolutePath().getParent();
                report.refuse(); // nowhere to write the usage error's report either
                // Creating a file in /proc fails with ENOENT although the directory is there.
                String why = e instanceof NoSuchFileException && Files.isDirectory(dir)
                        ? "its file system takes no new files" : Reasons.reason(e);
                throw new UsageException(reportName + ": cannot create a file in " + Printable.quote(dir.toString())
                        + ": " + why);
            }
        }
    }

    /**
     * A report is written beside its path and renamed over it: the path must not be a directory,
     * nor a device, FIFO or socket (the rename would put a regular file in its place: as root,
     * {@code --report /dev/null} would replace the system's /dev/null), and its directory must
     * exist and be writable.
     */
    static void checkReport(Path path, String name) throws UsageException {
        String quoted = Printable.quote(path.toString());
        // Looked at without following a link: the rename replaces the path itself, so a symbolic
        // link (as root, --report /dev/stderr) would be replaced by a regular file, whatever it
        // points to.
        String notRegular = Report.notRegular(path);
        if ("a directory".equals(notRegular)) {
            throw new UsageException(name + ": " + quoted + " is a directory");
        }
        if ("a symbolic link".equals(notRegular)) {
            throw new UsageException(name + ": " + quoted + " is a symbolic link, which the report would replace;"
                    + " name the file itself");
        }
        if (notRegular != null) {
            throw new UsageException(name + ": " + quoted + " is not a regular file (a device, FIFO or socket),"
                    + " which the report would replace");
        }
        Path dir = path.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UsageException(name + ": no such directory: " + Printable.quote(String.valueOf(dir)));
        }
        if (!Files.isWritable(dir)) {
            throw new UsageException(name + ": cannot write in " + Printable.quote(dir.toString())
                    + " (permission denied)");
        }
    }

    /**
     * The same path, or the same existing regular file by device and inode. Only a regular file
     * counts by inode: an input and output that are both /dev/null, or a terminal, lose nothing.
     */
    static boolean sameFile(Path a, Path b) {
        if (a != STDIN && a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            return true;
        }
        try {
            BasicFileAttributes x = Files.readAttributes(a, BasicFileAttributes.class);
            BasicFileAttributes y = Files.readAttributes(b, BasicFileAttributes.class);
            return x.isRegularFile() && x.fileKey() != null && x.fileKey().equals(y.fileKey());
        } catch (IOException | RuntimeException e) {
            return false; // one is not there (an output yet to be made): not the same file
        }
    }

    /**
     * The option's value as a report path, if it is one that can be written; else null. For the
     * usage error of a command line whose --report came before its mistake.
     */
    static Path reportOrNull(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            Setting.REPORT.check(value);
            Path path = Path.of(value);
            checkReport(path, "--report");
            return path;
        } catch (IllegalArgumentException | UsageException e) {
            return null;
        }
    }

    /**
     * Writes the report of a command line that was refused, when its path is known: from the
     * settings, else from a --report parsed before the mistake, else from SUPERVISOR_REPORT.
     */
    static void usageReport(Report report, String message) {
        endReport(report, Report.USAGE, Main.USAGE, message);
    }

    /**
     * Writes the report of a command that ended before it started anything: to --report if it
     * was parsed, else to SUPERVISOR_REPORT.
     *
     * @param error the supervisor's line, or null (a signal)
     */
    static void endReport(Report report, String outcome, int status, String error) {
        if (report.path() == null && !report.refused()) {
            String env = System.getenv(Setting.REPORT.environmentVariable());
            // Trimmed as Settings trims a variable: spaces and tabs only.
            report.to(reportOrNull(env == null ? null : env.replaceAll("^[ \t]+|[ \t]+$", "")));
        }
        if (report.path() != null && namesAnArgument(report.path(), report.argv())) {
            report.refuse();
        }
        if (error != null) {
            report.error(error);
        }
        report.end(outcome, status);
        report.write();
    }

    /**
     * Whether {@code report} is a file that one of the arguments names, other than as the value
     * of --report: a command line refused before its inputs are known (a jar or a config file
     * named before a mistake) must not have its report written over one of them. Compared by
     * device and inode, as {@link #ownFiles} does once they are known.
     */
    static boolean namesAnArgument(Path report, List<String> argv) {
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("--report")) {
                i++; // its value is the report itself
                continue;
            }
            String value = a.startsWith("--") && a.indexOf('=') > 0 ? a.substring(a.indexOf('=') + 1) : a;
            if (a.startsWith("--report=") || value.isEmpty() || value.indexOf('\0') >= 0) {
                continue;
            }
            try {
                if (sameFile(report, Path.of(value))) {
                    return true;
                }
            } catch (InvalidPathException e) {
                // not a path
            }
        }
        String config = System.getenv(Settings.CONFIG_VARIABLE);
        try {
            return config != null && !config.isEmpty() && sameFile(report, Path.of(config));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** The limits the settings ask for. */
    Limits limits() {
        String memory = settings.get(Setting.MEMORY);
        String output = settings.get(Setting.MAX_OUTPUT);
        return new Limits(memory.isEmpty() ? 0 : Sizes.parse(memory),
                nanos(Setting.CPU_TIME), settings.integer(Setting.MAX_PROCS, 0),
                output.isEmpty() ? 0 : Sizes.parse(output));
    }

    /**
     * The sandbox the settings ask for: {@code sandbox} sets every part's default to its safe
     * value; a part set on its own wins either way.
     */
    Sandbox sandbox() {
        boolean all = settings.get(Setting.SANDBOX).equals("yes");
        String user = settings.get(Setting.SANDBOX_USER);
        String network = settings.get(Setting.SANDBOX_NETWORK);
        String files = settings.get(Setting.SANDBOX_FILESYSTEM);
        String pids = settings.get(Setting.SANDBOX_PIDS);
        List<Path> rw = new ArrayList<>();
        for (String p : Setting.wordsOf(settings.get(Setting.SANDBOX_RW))) {
            rw.add(Path.of(p));
        }
        return new Sandbox(user.isEmpty() ? (all ? TaskUser.DYNAMIC : TaskUser.SUPERVISOR) : TaskUser.parse(user),
                network.isEmpty() ? all : network.equals("private"),
                files.isEmpty() ? all : files.equals("read-only"),
                pids.isEmpty() ? all : pids.equals("private"),
                rw, settings.get(Setting.SANDBOX_BEST_EFFORT).equals("yes"));
    }

    List<String> jvmOptions() {
        return jvmOptions.isEmpty() ? settings.jvmOptions() : List.copyOf(jvmOptions);
    }

    /** How a usage error names where a setting's value came from: the option, the variable or file:line. */
    String where(Setting s) {
        String source = settings.source(s);
        if (source.equals("command line")) {
            return "--" + s.key;
        }
        if (source.startsWith("environment ")) {
            return source.substring("environment ".length());
        }
        return source.equals("default") ? s.key : source + ": " + s.key;
    }

    long nanos(Setting s) {
        return Durations.parseNanos(settings.get(s));
    }

    /** For {@link Args}: a --report that can be written is the report's path from now on. */
    static Consumer<String[]> reportSeen(Report report) {
        return o -> {
            if (o[0].equals("--report")) {
                report.to(reportOrNull(o[1]));
            }
        };
    }

    /** The options every command takes besides its own. */
    static List<String> common(String... own) {
        List<String> all = new ArrayList<>(List.of(own));
        all.add("--config");
        return List.copyOf(all);
    }
}
