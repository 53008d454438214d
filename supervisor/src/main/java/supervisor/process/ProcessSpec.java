package supervisor.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import supervisor.limits.Limits;
import supervisor.sandbox.Sandbox;
import supervisor.terminate.Mechanism;

/**
 * What to run and under which rules: the command, its environment and working directory, its
 * limits, how its processes are held, and where its standard streams go. Immutable; made with
 * {@link #java} or {@link #command} and the {@code with...} methods.
 */
public final class ProcessSpec {
    /** Where the process's standard streams go. */
    public enum Stdio {
        /** The supervisor's own stdin, stdout and stderr: the task writes them directly. */
        INHERIT,
        /** stdin inherited; stdout and stderr are pipes the supervisor reads (an output cap). */
        PIPED_OUTPUT,
        /**
         * A pool worker: stdin is a pipe from the supervisor, the protocol goes out on fd 3 (the
         * {@code Process}'s input stream), and fd 1 is joined to stderr, a pipe the supervisor
         * reads, so that whatever the task prints, natively included, never reaches the protocol.
         */
        WORKER,
        /** stdin from /dev/null, stdout and stderr appended to {@link #outputFile()}. */
        FILE
    }

    /** Variables a supervisor's service manager gives it, which are the supervisor's, not the task's. */
    static final List<String> SERVICE_VARIABLES = List.of("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
            "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES");

    /**
     * Variables that carry a command's words byte for byte, numbered from 1 (see
     * {@link #withCommandFromVariables}); the launcher sets them, the spawn unsets them.
     */
    public static final String ARGUMENT_VARIABLE = "SUPERVISOR_ARG_";

    /** The PATH a task gets when its environment is cleared. */
    public static final String MINIMAL_PATH = "/usr/local/bin:/usr/bin:/bin";

    private List<String> command;
    private int jvmOptionsEnd; // where limit JVM options go, after the user's; -1: not a JVM
    private Map<String, String> environment = Map.of();
    private boolean clearEnvironment;
    private List<String> passEnvironment = List.of();
    private Path workdir;
    private boolean tempWorkdir;
    private boolean keepWorkdir;
    private Limits limits = Limits.NONE;
    private Mechanism mechanism = Mechanism.AUTO;
    private Stdio stdio = Stdio.INHERIT;
    private Path outputFile;
    private String label = "task";
    private boolean claimOrphans;
    private boolean privateTmp;
    private boolean notifySocket;
    private boolean accounting;
    private boolean ownSession = true;
    private boolean programAsGiven;
    private String nestedSupervisorWord;
    private boolean serviceVariables;
    private List<Integer> ignoredSignals = List.of();
    private int firstVariable;
    private int lastVariable;
    private Sandbox sandbox = Sandbox.NONE;

    private ProcessSpec() {
    }

    private ProcessSpec copy() {
        ProcessSpec c = new ProcessSpec();
        c.command = command;
        c.jvmOptionsEnd = jvmOptionsEnd;
        c.environment = environment;
        c.clearEnvironment = clearEnvironment;
        c.passEnvironment = passEnvironment;
        c.workdir = workdir;
        c.tempWorkdir = tempWorkdir;
        c.keepWorkdir = keepWorkdir;
        c.limits = limits;
        c.mechanism = mechanism;
        c.stdio = stdio;
        c.outputFile = outputFile;
        c.label = label;
        c.claimOrphans = claimOrphans;
        c.privateTmp = privateTmp;
        c.notifySocket = notifySocket;
        c.accounting = accounting;
        c.ownSession = ownSession;
        c.programAsGiven = programAsGiven;
        c.nestedSupervisorWord = nestedSupervisorWord;
        c.serviceVariables = serviceVariables;
        c.ignoredSignals = ignoredSignals;
        c.firstVariable = firstVariable;
        c.lastVariable = lastVariable;
        c.sandbox = sandbox;
        return c;
    }

    /**
     * A JVM: {@code java [jvmOptions] [main...]}, where {@code main} is {@code -jar JAR ARGS} or
     * {@code -cp PATH CLASS ARGS}. Limits may add JVM options after the given ones.
     */
    public static ProcessSpec java(String java, List<String> jvmOptions, List<String> main) {
        ProcessSpec s = new ProcessSpec();
        List<String> cmd = new ArrayList<>();
        cmd.add(Objects.requireNonNull(java));
        cmd.addAll(jvmOptions);
        s.jvmOptionsEnd = cmd.size();
        cmd.addAll(main);
        s.command = List.copyOf(cmd);
        return s;
    }

    /** Any program and its arguments, no shell. */
    public static ProcessSpec command(List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        ProcessSpec s = new ProcessSpec();
        s.command = List.copyOf(command);
        s.jvmOptionsEnd = -1;
        return s;
    }

    /**
     * The same command with its program replaced by {@code path}: a program found in PATH before
     * the start (as execvp would), so that what runs is what was checked, whatever the task's
     * own PATH. Only for {@link #command}, not a JVM.
     */
    public ProcessSpec withProgram(String path) {
        if (jvmOptionsEnd >= 0) {
            throw new IllegalStateException("a JVM's java is not a program to find");
        }
        ProcessSpec c = copy();
        List<String> cmd = new ArrayList<>(command);
        cmd.set(0, Objects.requireNonNull(path));
        c.command = List.copyOf(cmd);
        return c;
    }

    /** Variables set in the process's environment, over the inherited or cleared one. */
    public ProcessSpec withEnvironment(Map<String, String> variables) {
        ProcessSpec c = copy();
        c.environment = Map.copyOf(new LinkedHashMap<>(variables));
        return c;
    }

    /** Starts from an empty environment (plus {@link #MINIMAL_PATH}) and the variables named in {@code pass}. */
    public ProcessSpec withClearedEnvironment(List<String> pass) {
        ProcessSpec c = copy();
        c.clearEnvironment = true;
        c.passEnvironment = List.copyOf(pass);
        return c;
    }

    public ProcessSpec withWorkdir(Path dir) {
        ProcessSpec c = copy();
        c.workdir = dir;
        c.tempWorkdir = false;
        return c;
    }

    /** A fresh private working directory, removed when the process is released unless {@code keep}. */
    public ProcessSpec withTempWorkdir(boolean keep) {
        ProcessSpec c = copy();
        c.workdir = null;
        c.tempWorkdir = true;
        c.keepWorkdir = keep;
        return c;
    }

    public ProcessSpec withLimits(Limits limits) {
        ProcessSpec c = copy();
        c.limits = Objects.requireNonNull(limits);
        return c;
    }

    public ProcessSpec withMechanism(Mechanism mechanism) {
        ProcessSpec c = copy();
        c.mechanism = Objects.requireNonNull(mechanism);
        return c;
    }

    public ProcessSpec withStdio(Stdio stdio) {
        ProcessSpec c = copy();
        c.stdio = Objects.requireNonNull(stdio);
        return c;
    }

    /** stdout and stderr appended to {@code file} (null: /dev/null), stdin from /dev/null. */
    public ProcessSpec withOutputFile(Path file) {
        ProcessSpec c = copy();
        c.stdio = Stdio.FILE;
        c.outputFile = file;
        return c;
    }

    /** How messages name the process: "task", "worker w1". */
    public ProcessSpec withLabel(String label) {
        ProcessSpec c = copy();
        c.label = Objects.requireNonNull(label);
        return c;
    }

    /**
     * Every orphan reparented to this JVM (its child subreaper) belongs to this process: true only
     * when the JVM supervises this one process ({@code supervisor run}).
     */
    public ProcessSpec withClaimOrphans(boolean claim) {
        ProcessSpec c = copy();
        c.claimOrphans = claim;
        return c;
    }

    /**
     * A fresh private directory as the process's {@code TMPDIR} (and, for a JVM, its
     * {@code java.io.tmpdir}), removed with everything in it once its tree is gone (systemd's
     * {@code PrivateTmp=}); crash logs are moved out first.
     */
    public ProcessSpec withPrivateTmp(boolean on) {
        ProcessSpec c = copy();
        c.privateTmp = on;
        return c;
    }

    /**
     * A notify socket of the process's own as its {@code NOTIFY_SOCKET}: an AF_UNIX datagram
     * socket bound in a private directory before the spawn, read through
     * {@link SupervisedProcess#notifySocket()}, closed and removed on release.
     */
    public ProcessSpec withNotifySocket(boolean on) {
        ProcessSpec c = copy();
        c.notifySocket = on;
        return c;
    }

    /**
     * Count what the process's whole tree consumes, for {@link SupervisedProcess#usage()}: a memory
     * cgroup without a limit where one can be had, else its resident memory sampled while it runs.
     */
    public ProcessSpec withAccounting(boolean on) {
        ProcessSpec c = copy();
        c.accounting = on;
        return c;
    }

    /**
     * Whether the process leads a session (and process group) of its own, the default: a signal
     * to the caller's group, a terminal's Ctrl-C, or a {@code kill 0} of the process reach one
     * side only. False: it stays in the supervisor's session and group, with its terminal, as
     * {@code timeout --foreground} keeps its command (its tree is found all the same).
     */
    public ProcessSpec withOwnSession(boolean own) {
        ProcessSpec c = copy();
        c.ownSession = own;
        return c;
    }

    /**
     * Whether the service manager's variables ({@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC},
     * {@code LISTEN_FDS}, ...) go to the process, as to any command ({@code timeout}'s way); by
     * default they are the supervisor's and the process does not see them.
     */
    public ProcessSpec withServiceVariables(boolean passed) {
        ProcessSpec c = copy();
        c.serviceVariables = passed;
        return c;
    }

    /**
     * Signals the process starts with ignored, as its caller had them ignored (a shell's
     * {@code trap '' PIPE}): a JVM cannot pass them on, since the JDK resets what it handles.
     */
    public ProcessSpec withIgnoredSignals(List<Integer> signals) {
        ProcessSpec c = copy();
        c.ignoredSignals = List.copyOf(signals);
        return c;
    }

    /**
     * The command's words, program included, are the values of the variables
     * {@link #ARGUMENT_VARIABLE}{@code first} to {@link #ARGUMENT_VARIABLE}{@code last} (which the
     * launcher set, byte for byte), not {@link #command()}, which then names it in messages only;
     * the program is found in PATH as execvp finds it. Variables 1 to {@code last} are unset
     * before the exec. Only for {@link #command}.
     */
    public ProcessSpec withCommandFromVariables(int first, int last) {
        if (jvm() || first < 1 || last < first) {
            throw new IllegalArgumentException("no command in variables " + first + " to " + last);
        }
        ProcessSpec c = copy();
        c.firstVariable = first;
        c.lastVariable = last;
        return c;
    }

    /**
     * The program keeps its name as given, as its argv[0], and is found in PATH by the spawn's
     * exec, as execvp finds it (relative entries of PATH too), rather than by the supervisor
     * before the spawn: for a caller that has found it already the same way and said why when it
     * could not ({@code timeout}'s 126 and 127). Only for {@link #command}.
     */
    public ProcessSpec withProgramAsGiven() {
        if (jvm()) {
            throw new IllegalStateException("a JVM's java is not a program to find");
        }
        ProcessSpec c = copy();
        c.programAsGiven = true;
        return c;
    }

    /**
     * A polite signal to the whole tree ({@link SupervisedProcess#terminate(int, boolean)}) stops
     * at a nested supervisor JVM, known by {@code word} in its command line (its main class): it
     * gets the signal and acts on it for what it holds, which does not get it over its head (one
     * timeout inside another, as GNU's nest). A kill still reaches every process.
     */
    public ProcessSpec withSignalsStoppingAtNestedSupervisors(String word) {
        ProcessSpec c = copy();
        c.nestedSupervisorWord = Objects.requireNonNull(word);
        return c;
    }

    /**
     * What the process is kept from (its user, the network, a writable view of the files, the
     * other processes): see {@link Sandbox}; {@link Sandbox#NONE} by default.
     */
    public ProcessSpec withSandbox(Sandbox sandbox) {
        ProcessSpec c = copy();
        c.sandbox = Objects.requireNonNull(sandbox);
        return c;
    }

    public Sandbox sandbox() {
        return sandbox;
    }

    /** The word that names a nested supervisor, or null: signals reach every process. */
    public String nestedSupervisorWord() {
        return nestedSupervisorWord;
    }

    public boolean programAsGiven() {
        return programAsGiven;
    }

    public boolean ownSession() {
        return ownSession;
    }

    public boolean serviceVariables() {
        return serviceVariables;
    }

    public List<Integer> ignoredSignals() {
        return ignoredSignals;
    }

    /** Whether the command comes from variables ({@link #withCommandFromVariables}). */
    public boolean commandFromVariables() {
        return firstVariable > 0;
    }

    int firstVariable() {
        return firstVariable;
    }

    int lastVariable() {
        return lastVariable;
    }

    public List<String> command() {
        return command;
    }

    public boolean jvm() {
        return jvmOptionsEnd >= 0;
    }

    /** The command with {@code extra} JVM options after the user's own (so that they win). */
    List<String> commandWith(List<String> extra) {
        if (extra.isEmpty() || !jvm()) {
            return command;
        }
        List<String> cmd = new ArrayList<>(command.subList(0, jvmOptionsEnd));
        cmd.addAll(extra);
        cmd.addAll(command.subList(jvmOptionsEnd, command.size()));
        return cmd;
    }

    public Map<String, String> environment() {
        return environment;
    }

    public boolean clearEnvironment() {
        return clearEnvironment;
    }

    public List<String> passEnvironment() {
        return passEnvironment;
    }

    public Path workdir() {
        return workdir;
    }

    public boolean tempWorkdir() {
        return tempWorkdir;
    }

    public boolean keepWorkdir() {
        return keepWorkdir;
    }

    public Limits limits() {
        return limits;
    }

    public Mechanism mechanism() {
        return mechanism;
    }

    public Stdio stdio() {
        return stdio;
    }

    public Path outputFile() {
        return outputFile;
    }

    public String label() {
        return label;
    }

    public boolean claimOrphans() {
        return claimOrphans;
    }

    public boolean privateTmp() {
        return privateTmp;
    }

    public boolean notifySocket() {
        return notifySocket;
    }

    public boolean accounting() {
        return accounting;
    }

    /**
     * The environment the process gets: the supervisor's (less the service manager's variables,
     * which belong to the supervisor), or only what {@code pass} names; then the variables set.
     */
    Map<String, String> buildEnvironment(Map<String, String> supervisorEnv, Map<String, String> target) {
        target.clear();
        if (clearEnvironment) {
            target.put("PATH", MINIMAL_PATH);
            for (String key : passEnvironment) {
                String value = supervisorEnv.get(key);
                if (value != null) {
                    target.put(key, value);
                }
            }
        } else {
            target.putAll(supervisorEnv);
            if (!serviceVariables) {
                SERVICE_VARIABLES.forEach(target::remove);
            }
        }
        target.putAll(environment);
        return target;
    }
}
