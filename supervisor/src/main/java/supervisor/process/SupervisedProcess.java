package supervisor.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntPredicate;
import java.util.stream.Stream;
import supervisor.launch.ExitStatus;
import supervisor.launch.LaunchException;
import supervisor.launch.Workdirs;
import supervisor.limits.LimitEnforcer;
import supervisor.limits.Usage;
import supervisor.log.Log;
import supervisor.log.Reasons;
import supervisor.platform.Cgroups;
import supervisor.platform.DatagramReceiver;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.Posix;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;
import supervisor.terminate.CgroupLeaf;
import supervisor.terminate.CgroupTerminator;
import supervisor.terminate.KillReport;
import supervisor.terminate.Mechanism;
import supervisor.terminate.OwnedChildren;
import supervisor.terminate.PortableTerminator;
import supervisor.terminate.TaskTree;
import supervisor.terminate.Terminator;
import supervisor.terminate.TreeTerminator;

/**
 * The life of one supervised process, the same for {@code supervisor run}, pool workers, the
 * task runner and the zt-exec stopper. In order:
 * <ol>
 *   <li><b>record</b>: this JVM's {@link Guardian} is told of every cgroup and directory before it
 *       is made and of the process as soon as it exists, so a {@code kill -9} of the supervisor at
 *       any moment leaves nothing behind;</li>
 *   <li><b>contain</b>: a cgroup2 leaf where one can be had, else the process tree (session,
 *       {@code SUPERVISOR_TASK} marker, this JVM as child subreaper, made so before the spawn);</li>
 *   <li><b>limit</b>: memory and pids cgroups, rlimits, JVM options ({@link LimitEnforcer});</li>
 *   <li><b>spawn</b>: {@code setsid setpriv --pdeathsig KILL -- sh -c SPAWN ...}: the shell joins
 *       the cgroups and sets the rlimits on itself, then execs the command, so nothing the command
 *       starts, however early, is outside them; environment and working directory from the spec;</li>
 *   <li><b>stop</b>: {@link #terminate()} (polite), {@link #kill()} (the whole tree, within
 *       {@link #KILL_BUDGET_NANOS});</li>
 *   <li><b>decode</b>: the exit status, a limit that caused it, the JVM's crash log;</li>
 *   <li><b>release</b>: kill what is left, remove the leaf, the cgroups, the scratch and temporary
 *       directories, the private {@code TMPDIR} and the notify socket (moving crash logs out
 *       first), and drop the guardian's records.</li>
 * </ol>
 * Spawn from a thread that lives as long as the process: the parent-death signal is tied to the
 * spawning thread. {@link #kill()} and {@link #release()} may be called from any thread.
 *
 * <p>Three ways in, one life: {@link #start} (a {@link Process}, for one task or a pool worker),
 * {@link #startDetached} (no {@code Process}, no JDK thread: many one-shot tasks, observed by one
 * {@link ChildWatcher}), and {@link #of} (a {@code Process} someone else started, held by its
 * marker: the zt-exec stopper). They differ only in how the process starts and how its exit is
 * observed.
 */
public final class SupervisedProcess {
    /** How long a kill of a whole tree may take before its survivors are reported. */
    public static final long KILL_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How long a receive on the process's notify socket waits, so that its reader sees the close. */
    private static final int NOTIFY_POLL_MILLIS = 100;

    /**
     * The spawn: join the cgroups, set the rlimits, then exec. Arguments: the number N of cgroup
     * directories, the N directories, RLIMIT_CPU seconds (0: none), RLIMIT_NPROC (0: none),
     * 1 to move stdout to fd 3 and join fd 1 to stderr (a pool worker), 2 for stdin from
     * /dev/null and stdout and stderr to fd 4 (a detached task: see {@link #DETACHED_PRELUDE}),
     * or 0, 1 when the task's environment has its own PWD (else the shell's is unset), then the
     * command. A failure here happens before the command runs: one line on stderr and status 125.
     */
    static final String SPAWN_SCRIPT = """
            n=$1; shift
            while [ "$n" -gt 0 ]; do
                echo $$ > "$1/cgroup.procs" || { echo "supervisor: cannot move pid $$ into the cgroup $1" >&2; exit 125; }
                shift; n=$((n - 1))
            done
            if [ "$1" != 0 ]; then
                ulimit -S -t "$1" && ulimit -H -t $(($1 + 2)) || { echo "supervisor: cannot set RLIMIT_CPU to $1 s" >&2; exit 125; }
            fi
            if [ "$2" != 0 ]; then
                { ulimit -p "$2" || ulimit -u "$2"; } 2>/dev/null || { echo "supervisor: cannot set RLIMIT_NPROC to $2" >&2; exit 125; }
            fi
            case $3 in
                1) exec 3>&1 1>&2 ;;
                2) exec </dev/null >&4 2>&4 4>&- ;;
            esac
            [ "$4" = 1 ] || unset PWD
            shift 4
            exec "$@"
            """;

    /**
     * A detached launch, run by a short-lived {@code sh} that is a {@link Process}: it starts
     * {@code setsid --fork sh -c DETACHED_PRELUDE ...}, whose first process exits at once, so the
     * task is reparented to this JVM (its child subreaper) and no shell can ever reap it. The loop
     * passes on what the task says on its way (its pid, a failure) and keeps this launcher alive
     * until the task has let go of the pipe: the JDK closes a process's pipe when it exits.
     */
    static final String LAUNCH_SCRIPT = """
            "$@" | while IFS= read -r line; do printf '%s\\n' "$line"; done
            """;

    /**
     * The detached task before {@link #SPAWN_SCRIPT}: it says its pid, then waits for "go", which
     * the supervisor sends once the pid is registered as its own (with the guardian, and with
     * {@link OwnedChildren}, so that no reaper of this JVM takes its exit status): it cannot exit
     * before. EOF instead of "go" (the supervisor died) ends it. It opens its output file on fd 4;
     * the spawn script moves it to fds 1 and 2 right before the exec, so that a failure of the
     * spawn itself still reaches the supervisor. A FIFO is opened after it lets go of the
     * launcher's pipe: its open waits for a reader, which must not hold the start (it has no
     * deadline) but the task (whose timeout covers it); a failure of its spawn then goes to the
     * FIFO, and the task ends with 125. Arguments: the output file, the spawn script, then the
     * spawn script's arguments.
     */
    static final String DETACHED_PRELUDE = """
            echo $$
            read -r go && [ "$go" = go ] || exit 125
            out=$1 script=$2
            shift 2
            if [ -p "$out" ]; then
                exec >/dev/null 2>&1
            fi
            exec 4>>"$out" || exit 125
            eval "$script"
            """;

    private final ProcessSpec spec;
    private final String marker;
    private final LimitEnforcer limits;
    private final Guardian.Lease lease;
    private final ChildWatcher watcher; // non-null: detached
    private boolean foreign; // started by someone else: of, prepare
    private CgroupLeaf leaf;
    private Path scratch;
    private Path workdir;
    private Process process;
    private ProcessId id;
    private Terminator terminator;
    private CompletableFuture<ExitStatus> exit;
    private boolean released; // guarded by this
    private boolean treeClosed; // guarded by this: released, and its tree let go
    // Guarded by this. Once no process of the tree lives, none can join it (nothing in it is left
    // to fork): later looks need no /proc scan, which a one-shot run would pay on its way out.
    private boolean emptySeen;
    private volatile Path savedCrashLog; // moved out of a temporary working directory or TMPDIR
    private Path privateTmp; // the process's TMPDIR, when the spec asks for one
    private Path notifyDir; // holds the process's own notify socket
    private volatile DatagramReceiver notifySocket;
    private volatile long lastCpuNanos = -1; // sampled when a CPU limit has no leaf to count it
    private long childrenCpuBefore = -1; // this JVM's reaped children's CPU time before the spawn (accounting)
    private RssSampler rss; // accounting without a memory cgroup
    private volatile long processLimitHits;
    private volatile long memoryLimitKills;
    private static final long CPU_SAMPLE_MILLIS = 200;

    /**
     * Keeps this JVM's guardian running while many processes come and go (a pool's workers, a
     * runner's tasks), instead of one guardian per process; closing the last pin and releasing
     * the last process dismisses it, so the JVM is left with no child process.
     */
    public static AutoCloseable pinGuardian() {
        Guardian.Lease pin = Guardian.lease();
        return pin::release;
    }

    /**
     * Gets ready for {@link #start} while the caller checks other things: starts the guardian and,
     * when {@code spec} will be held by the process tree, loads the native layer that the subreaper
     * needs. Both would otherwise sit on the critical path of a one-shot run. Returns at once.
     */
    /** Starts this JVM's guardian in the background, ahead of the first {@link #start}; returns at once. */
    public static void prestartGuardian() {
        Guardian.prestart();
    }

    public static void prepareToStart(ProcessSpec spec) {
        Guardian.prestart();
        if (heldByTree(spec.mechanism())) {
            Platform.preload();
        }
    }

    /**
     * Whether a process started now with {@code mechanism} will be held by its process tree
     * rather than a cgroup leaf (on Linux; a leaf that cannot be made after all falls back to
     * the tree, with a warning).
     */
    public static boolean heldByTree(Mechanism mechanism) {
        return ProcFs.available() && (mechanism == Mechanism.TREE
                || mechanism == Mechanism.AUTO && Cgroups.writableV2Parent().isEmpty());
    }

    private SupervisedProcess(ProcessSpec spec, ChildWatcher watcher, String marker) {
        this.spec = spec;
        this.watcher = watcher;
        this.marker = marker;
        this.limits = new LimitEnforcer(spec.limits(), spec.accounting());
        this.lease = Guardian.lease();
    }

    /**
     * Starts {@code spec}'s process, contained and limited.
     *
     * @throws LaunchException with status 125 and a message naming what failed (the program, the
     *     working directory, the cgroup); everything made for the process is released first
     */
    public static SupervisedProcess start(ProcessSpec spec) throws LaunchException {
        return launched(new SupervisedProcess(spec, null, Names.marker()));
    }

    /**
     * Starts {@code spec}'s process, contained and limited like {@link #start}, but not as a
     * {@link Process}: it costs no JDK thread while it runs. It leads a session of its own,
     * reparented to this JVM; {@code watcher} observes its exit, read from /proc, then reaps it.
     * No parent-death signal: should this JVM die, the guardian kills it. Its standard streams
     * must be {@link ProcessSpec.Stdio#FILE}; it may not claim orphans (many run at once).
     * Blocks until the process has started its command or failed to.
     *
     * @throws LaunchException with status 125 and a message naming what failed (the program, the
     *     working directory, the output file, the cgroup); everything made for it is released first
     */
    public static SupervisedProcess startDetached(ProcessSpec spec, ChildWatcher watcher) throws LaunchException {
        if (spec.stdio() != ProcessSpec.Stdio.FILE || spec.claimOrphans()) {
            throw new IllegalArgumentException("a detached process writes to a file and claims no orphans");
        }
        return launched(new SupervisedProcess(spec, Objects.requireNonNull(watcher), Names.marker()));
    }

    /**
     * Takes charge of a process this supervisor did not start (zt-exec's, say): it is held by its
     * tree and by {@code marker}, which it must have been started with in its environment
     * ({@code SUPERVISOR_TASK=marker}, see {@link Names#marker()}); no cgroup, no limits. Stop,
     * kill and release are those of every supervised process. Linux for the marker; elsewhere
     * the portable fallback.
     *
     * @param label how messages name it ("process")
     */
    public static SupervisedProcess of(Process process, String marker, String label) {
        ProcessSpec spec = ProcessSpec.command(List.of(label)).withLabel(label).withMechanism(Mechanism.TREE);
        SupervisedProcess p = new SupervisedProcess(spec, null, Objects.requireNonNull(marker));
        p.foreign = true;
        return p.take(process);
    }

    /**
     * For a process someone else is about to start (zt-exec's): its containment, made now, so
     * that it holds the process from its first instruction. A cgroup leaf where the machine
     * allows one (recorded with the guardian), else the marker alone. Start the command given by
     * {@link #wrap}, with {@code SUPERVISOR_TASK=marker} in its environment, then hand the
     * {@code Process} to {@link #take}; {@link #release()} in any case.
     */
    public static SupervisedProcess prepare(String marker, String label) {
        ProcessSpec spec = ProcessSpec.command(List.of(label)).withLabel(label);
        SupervisedProcess p = new SupervisedProcess(spec, null, Objects.requireNonNull(marker));
        p.foreign = true;
        try {
            p.contain();
        } catch (LaunchException e) {
            // Only a required cgroup fails, and AUTO requires none.
            Log.debug(e.getMessage());
        }
        return p;
    }

    /**
     * {@code command} made to join this process's cgroup leaf before it execs, through the spawn
     * script; unchanged when it has none.
     */
    public List<String> wrap(List<String> command) {
        if (leaf == null) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of(Helpers.SH, "-c", SPAWN_SCRIPT, "supervisor-spawn", "1",
                leaf.dir().toString(), "0", "0", "0", "1"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Takes charge of {@code process}, started by someone else (see {@link #of}, {@link #prepare}). */
    public SupervisedProcess take(Process process) {
        if (this.process != null || watcher != null) {
            throw new IllegalStateException("the " + spec.label() + " has its process already");
        }
        this.process = process;
        int pid = (int) process.pid();
        id = ProcFs.id(pid).orElse(new ProcessId(pid, -1));
        hold(pid);
        lease.task(id, marker);
        exit = OwnedChildren.exitStatus(process);
        return this;
    }

    private static SupervisedProcess launched(SupervisedProcess p) throws LaunchException {
        ProcessSpec spec = p.spec;
        try {
            p.launch();
            return p;
        } catch (LaunchException e) {
            p.release();
            throw e;
        } catch (IOException | RuntimeException e) {
            p.release();
            throw new LaunchException(125, "cannot start the " + spec.label() + ": " + Reasons.of(e), e);
        }
    }

    private void launch() throws LaunchException, IOException {
        Log.trace("launch");
        String program = checkProgram(spec.command().get(0));
        Helpers.require();
        workdir = spec.workdir();
        if (spec.tempWorkdir()) {
            workdir = newDirectory(Path.of(System.getProperty("java.io.tmpdir")), "supervisor-task");
        } else if (workdir != null) {
            checkWorkdir(workdir);
        }
        contain();
        Log.trace("contained");
        LimitEnforcer.Prepared prepared = LimitEnforcer.Prepared.NONE;
        if (spec.limits().any() || spec.accounting()) {
            if (spec.limits().any()) {
                scratch = newDirectory(Path.of(System.getProperty("java.io.tmpdir")), "supervisor-scratch");
            }
            prepared = limits.prepare(leaf == null ? null : leaf.dir(), scratch, spec.jvm(), lease::cgroup);
        }
        List<String> jvmOptions = new ArrayList<>(prepared.jvmOptions());
        if (spec.privateTmp()) {
            privateTmp = newDirectory(Path.of(System.getProperty("java.io.tmpdir")), "supervisor-tmp");
            jvmOptions.add("-Djava.io.tmpdir=" + privateTmp);
        }
        if (spec.notifySocket()) {
            notifyDir = newDirectory(Path.of(System.getProperty("java.io.tmpdir")), "supervisor-notify");
            notifySocket = Platform.posix().bindDatagram(notifyDir.resolve("notify"), NOTIFY_POLL_MILLIS);
        }
        List<Path> join = new ArrayList<>();
        if (leaf != null) {
            join.add(leaf.dir());
        }
        join.addAll(prepared.join());

        List<String> command = new ArrayList<>();
        if (watcher == null) {
            Helpers.setsid().ifPresent(command::add);
            // A worker held by the tree is its orphans' subreaper: a parent-death SIGKILL would end
            // it the instant this JVM dies, its orphans going to init before the guardian could
            // stop them. It ends itself once its stdin ends (within 750 ms), killing them first.
            if (!(spec.stdio() == ProcessSpec.Stdio.WORKER && heldByTree(spec.mechanism()))) {
                Helpers.setpriv().ifPresent(p -> command.addAll(List.of(p, "--pdeathsig", "KILL", "--")));
            }
            command.addAll(List.of(Helpers.SH, "-c", SPAWN_SCRIPT, "supervisor-spawn"));
        }
        command.add(Integer.toString(join.size()));
        join.forEach(d -> command.add(d.toString()));
        command.add(Long.toString(prepared.cpuSeconds()));
        command.add(Integer.toString(prepared.nproc()));
        command.add(spec.stdio() == ProcessSpec.Stdio.WORKER ? "1" : watcher != null ? "2" : "0");
        Map<String, String> environment = spec.buildEnvironment(System.getenv(), new HashMap<>());
        if (privateTmp != null) {
            environment.put("TMPDIR", privateTmp.toString());
        }
        if (notifyDir != null) {
            environment.put("NOTIFY_SOCKET", notifyDir.resolve("notify").toString());
        }
        command.add(environment.containsKey("PWD") ? "1" : "0");
        List<String> own = new ArrayList<>(spec.commandWith(jvmOptions));
        own.set(0, program);
        command.addAll(own);

        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().putAll(environment);
        pb.environment().put(TaskTree.MARKER_VARIABLE, marker);
        if (workdir != null) {
            pb.directory(workdir.toFile());
        }
        if (watcher != null) {
            launchDetached(pb, program);
            return;
        }
        switch (spec.stdio()) {
            case INHERIT -> pb.inheritIO();
            case PIPED_OUTPUT -> pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
            case WORKER -> { }
            case FILE -> pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectErrorStream(true)
                    .redirectOutput(spec.outputFile() == null ? ProcessBuilder.Redirect.DISCARD
                            : ProcessBuilder.Redirect.appendTo(spec.outputFile().toFile()));
        }
        Log.trace("spawning");
        if (spec.accounting()) {
            childrenCpuBefore = ProcFs.childrenCpuNanos((int) ProcessHandle.current().pid());
        }
        try {
            process = OwnedChildren.start(pb);
        } catch (IOException e) {
            throw new LaunchException(125, "cannot start the " + spec.label() + " (" + program + "): "
                    + e.getMessage(), e);
        }
        int pid = (int) process.pid();
        // A process that is already gone still has its zombie, which /proc shows until the JDK reaps it.
        id = ProcFs.id(pid).orElse(new ProcessId(pid, -1));
        lease.task(id, marker);
        exit = OwnedChildren.exitStatus(process);
        if (spec.limits().cpuNanos() > 0 && leaf == null) {
            sampleCpuTime();
        }
        hold(pid);
        if (spec.accounting() && limits.memoryPeak() == null) {
            rss = new RssSampler(leaf != null ? this::leafPids : this::descendants).start();
        }
    }

    private Collection<Integer> leafPids() {
        try {
            return leaf.pids();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Every descendant of this JVM but the guardian and its own: in {@code supervisor run}, the
     * task and the orphans of its tree, which this JVM adopts as their subreaper.
     */
    private Collection<Integer> descendants() {
        List<Integer> found = new ArrayList<>();
        ArrayDeque<Integer> next = new ArrayDeque<>(ProcFs.children((int) ProcessHandle.current().pid()));
        while (!next.isEmpty()) {
            int pid = next.pop();
            if (!Guardian.isGuardian(pid)) {
                found.add(pid);
                next.addAll(ProcFs.children(pid));
            }
        }
        return found;
    }

    /** How the process's tree is held: its cgroup leaf, else its session, marker and descendants. */
    private void hold(int pid) {
        // Any guardian of this JVM, asked each time: one that dies is replaced by another, born
        // after the task, which a tree that claims orphans would otherwise count as its own.
        IntPredicate guardian = Guardian::isGuardian;
        if (!ProcFs.available()) {
            terminator = new PortableTerminator(id);
            Log.warn("not Linux (" + System.getProperty("os.name") + "): the " + spec.label() + "'s processes are"
                    + " found through ProcessHandle only; a process that leaves its parent's tree will not be killed");
        } else {
            TreeTerminator tree = new TreeTerminator(new TaskTree(id, marker, spec.claimOrphans(), guardian),
                    p -> p == pid || guardian.test(p));
            terminator = leaf == null ? tree : new CgroupTerminator(leaf, tree);
        }
        Log.debug(spec.label() + " pid " + pid + "; termination mechanism: " + terminator.mechanism());
    }

    /**
     * The detached start (see {@link #LAUNCH_SCRIPT}): the task's pid is registered with the
     * watcher, the guardian and {@link OwnedChildren} while the task waits for "go", so it cannot
     * end unseen, nor be reaped by another, nor outlive this JVM unrecorded.
     */
    private void launchDetached(ProcessBuilder pb, String program) throws LaunchException, IOException {
        if (Helpers.setsid().isEmpty()) {
            throw new LaunchException(125, "cannot start the " + spec.label() + " detached: setsid (util-linux) is not installed");
        }
        Path output = spec.outputFile() == null ? Path.of("/dev/null") : spec.outputFile();
        checkOutput(output);
        List<String> command = new ArrayList<>(List.of(Helpers.SH, "-c", LAUNCH_SCRIPT, "supervisor-launch",
                Helpers.setsid().get(), "--fork", Helpers.SH, "-c", DETACHED_PRELUDE, "supervisor-spawn",
                output.toString(), SPAWN_SCRIPT));
        command.addAll(pb.command()); // the spawn script's arguments
        pb.command(command).redirectErrorStream(true);
        Process launcher;
        try {
            launcher = OwnedChildren.start(pb);
        } catch (IOException e) {
            throw new LaunchException(125, "cannot start the " + spec.label() + " (" + program + "): " + e.getMessage(), e);
        }
        try {
            InputStream said = launcher.getInputStream();
            // Bounded: the launcher prints the pid or ends at once, whatever the command.
            String first = readLine(said);
            int pid;
            try {
                pid = Integer.parseInt(first);
            } catch (NumberFormatException e) {
                throw new LaunchException(125, "cannot start the " + spec.label() + " (" + program + "): "
                        + failure(first + "\n" + new String(said.readAllBytes(), StandardCharsets.UTF_8)));
            }
            id = ProcFs.id(pid).orElse(null);
            if (id == null) {
                throw new LaunchException(125, "cannot start the " + spec.label() + " (" + program + "): pid " + pid
                        + " vanished before it was told to go");
            }
            hold(pid);
            exit = watcher.watch(pid);
            if (spec.limits().cpuNanos() > 0 && leaf == null) {
                sampleCpuTime();
            }
            lease.task(id, marker);
            try (OutputStream go = launcher.getOutputStream()) {
                go.write("go\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // It is gone already: what it said, and its status through the watcher, tell why.
            }
            if (!launcher.waitFor(KILL_BUDGET_NANOS, TimeUnit.NANOSECONDS)) {
                throw new LaunchException(125, "cannot start the " + spec.label() + " (" + program + "): its launcher did"
                        + " not finish within " + TimeUnit.NANOSECONDS.toSeconds(KILL_BUDGET_NANOS) + " s");
            }
            String rest = new String(said.readAllBytes(), StandardCharsets.UTF_8);
            if (!rest.isBlank()) {
                // The spawn failed before its exec (a cgroup, an rlimit): the task exits 125.
                throw new LaunchException(125, "cannot start the " + spec.label() + " (" + program + "): " + failure(rest));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LaunchException(125, "interrupted while starting the " + spec.label(), e);
        } finally {
            launcher.destroyForcibly(); // a no-op once it has ended, which it has unless this failed
        }
        Log.debug(spec.label() + " pid " + id.pid() + " (detached); termination mechanism: " + terminator.mechanism());
    }

    /**
     * Fails early, with a clear message, for an output file the task could not open. A file that
     * exists and is not a regular one (a FIFO, a device) is not opened here: opening a FIFO nobody
     * reads blocks, and this thread has no deadline; the task opens it (see
     * {@link #DETACHED_PRELUDE}) after it is registered, inside its timeout.
     */
    private void checkOutput(Path output) throws LaunchException {
        try {
            BasicFileAttributes a = Files.readAttributes(output,
                    BasicFileAttributes.class);
            if (!a.isRegularFile() && !a.isDirectory()) {
                if (!Files.isWritable(output)) {
                    throw new LaunchException(125, "cannot open the " + spec.label() + "'s output file " + output
                            + ": not writable");
                }
                return;
            }
        } catch (IOException e) {
            // none yet (created below), or unreadable: the open below says why
        }
        try {
            Files.newOutputStream(output, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND).close();
        } catch (IOException e) {
            throw new LaunchException(125, "cannot open the " + spec.label() + "'s output file " + output + ": " + e, e);
        }
    }

    /** One line from the launcher, without reading past it (what follows is read after "go"). */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            b.append((char) c);
        }
        return b.toString();
    }

    /** What the launcher said, less the spawn script's "supervisor: " prefix; "no reason given" when nothing. */
    private static String failure(String said) {
        String s = said.strip().replace("supervisor: ", "").replace('\n', ';');
        return s.isEmpty() ? "it ended before it started, no reason given" : s;
    }

    /**
     * A cgroup2 leaf where the machine allows one; else the process tree, with this JVM as the
     * subreaper before anything is spawned, so that no orphan can get away to init.
     */
    private void contain() throws LaunchException {
        Mechanism mechanism = spec.mechanism();
        if (mechanism != Mechanism.TREE && ProcFs.available()) {
            Optional<Path> parent = Cgroups.writableV2Parent();
            if (parent.isPresent()) {
                try {
                    Path dir = parent.get().resolve("supervisor-" + Cgroups.randomName());
                    lease.cgroup(dir);
                    Files.createDirectory(dir);
                    leaf = CgroupLeaf.adopt(dir);
                } catch (IOException e) {
                    if (mechanism == Mechanism.CGROUP) {
                        throw new LaunchException(125, "cannot create a cgroup below " + parent.get() + ": " + e.getMessage(), e);
                    }
                    Log.warn("cannot create a cgroup below " + parent.get() + " (" + e.getMessage()
                            + "): the " + spec.label() + " is held by its process tree instead");
                }
            } else if (mechanism == Mechanism.CGROUP) {
                throw new LaunchException(125, "the cgroup mechanism was asked for, but there is no writable cgroup2 hierarchy with cgroup.kill here"
                        + " (needs root, or a systemd unit with Delegate=yes)");
            } else {
                Log.debug("no writable cgroup2 hierarchy: the " + spec.label() + " is held by its process tree");
            }
        }
        if (watcher != null) {
            // The watcher made this JVM the subreaper, and reaps adopted orphans itself.
        } else if (foreign) {
            // Not this supervisor's JVM: it is not made a subreaper behind its owner's back.
        } else if (leaf == null && ProcFs.available()) {
            Subreaper.become();
        } else if (ProcessHandle.current().pid() == 1) {
            // The leaf holds every process and orphans go to init; but in a container init is
            // this JVM, which must then reap them as they end.
            Subreaper.become();
        }
    }

    /**
     * A directory of our own below {@code parent}, recorded with the guardian before it exists,
     * by its real path: after a kill -9 of the supervisor the guardian tells the mount points
     * inside it from /proc/self/mountinfo, whose paths are canonical (a java.io.tmpdir named
     * through a symlink, or with "./" in it, hid a task's bind mount from it, and the mount's
     * contents were removed).
     */
    private Path newDirectory(Path parent, String prefix) throws IOException {
        Path real = parent.toRealPath();
        for (int attempt = 0; ; attempt++) {
            Path dir = real.resolve(prefix + "-" + Cgroups.randomName());
            lease.dir(dir);
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                return dir;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 8) {
                    throw e;
                }
            }
        }
    }

    /** The program as an absolute path: a missing or non-executable java is the supervisor's failure (125). */
    private static String checkProgram(String program) throws LaunchException {
        Path path;
        if (program.contains("/")) {
            path = Path.of(program);
        } else {
            path = Helpers.find(program).map(Path::of).orElse(null);
            if (path == null) {
                throw new LaunchException(125, "cannot start " + program + ": not found on PATH");
            }
        }
        if (!Files.exists(path)) {
            throw new LaunchException(125, "cannot start " + program + ": no such file");
        }
        if (Files.isDirectory(path) || !Files.isExecutable(path)) {
            throw new LaunchException(125, "cannot start " + program + ": not executable");
        }
        return path.toString();
    }

    private void checkWorkdir(Path dir) throws LaunchException {
        try {
            if (!Files.readAttributes(dir, BasicFileAttributes.class).isDirectory()) {
                throw new LaunchException(125, "working directory " + dir + ": not a directory");
            }
        } catch (NoSuchFileException e) {
            throw new LaunchException(125, "working directory " + dir + ": no such directory (deleted?)");
        } catch (IOException e) {
            throw new LaunchException(125, "working directory " + dir + ": " + e.getMessage());
        }
        if (!Files.isExecutable(dir)) {
            throw new LaunchException(125, "working directory " + dir + ": permission denied");
        }
    }

    /**
     * Has the guardian remove {@code file} should this JVM die before {@link #release()}: a file
     * made for the process while it runs (a thread dump's attach trigger in /tmp) and removed
     * right after, which a {@code kill -9} in between would leave.
     */
    public void guardFile(Path file) {
        lease.file(file);
    }

    public ProcessId id() {
        return id;
    }

    public int pid() {
        return id.pid();
    }

    /**
     * The JDK's handle: its streams for {@link ProcessSpec.Stdio#WORKER} and {@code PIPED_OUTPUT};
     * null for a detached process.
     */
    public Process process() {
        return process;
    }

    /**
     * The process's own notify socket, whose path it has as {@code NOTIFY_SOCKET}, when the spec
     * asks for one ({@link ProcessSpec#withNotifySocket}); closed by {@link #release()}, after
     * which a receive returns null.
     */
    public Optional<DatagramReceiver> notifySocket() {
        return Optional.ofNullable(notifySocket);
    }

    /** The process's private {@code TMPDIR} (null: none); gone after {@link #release()}. */
    public Path privateTmp() {
        return privateTmp;
    }

    /** The working directory the process was started in (null: the supervisor's). */
    public Path workdir() {
        return workdir;
    }

    public String mechanism() {
        return terminator.mechanism();
    }

    /**
     * Completes when the process itself has ended; what it started may live on. For a detached
     * process it completes on the watcher's thread: attach only quick actions, or use the
     * {@code ...Async} variants.
     */
    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    /** SIGTERM to the process and its group, so that shutdown hooks run. */
    public void terminate() {
        terminator.terminate();
    }

    /**
     * Asks the process to stop with {@code signal}: the process and its group, or, with
     * {@code wholeTree}, every process of its tree however it hid (systemd's
     * {@code KillMode=control-group}).
     *
     * @return how many processes were sent the signal
     */
    public synchronized int terminate(int signal, boolean wholeTree) {
        return terminator.terminate(signal, wholeTree);
    }

    /**
     * SIGKILL to the process and everything it started, however it hid; returns once all are
     * dead or {@link #KILL_BUDGET_NANOS} has passed. Thread-safe.
     */
    public synchronized KillReport kill() {
        if (treeClosed) {
            return new KillReport(0, 0, List.of()); // release() killed what there was
        }
        return killTree();
    }

    private synchronized KillReport killTree() {
        return terminator.kill(System.nanoTime() + KILL_BUDGET_NANOS);
    }

    /**
     * The processes of its tree alive now: its cgroup leaf's and what its tree holds (reads /proc
     * and the leaf only). Empty once released.
     */
    public synchronized List<ProcessId> processes() {
        return treeClosed ? List.of() : terminator.processes();
    }

    /** The marker in the process's environment ({@code SUPERVISOR_TASK}): names its run, never a pid. */
    public String marker() {
        return marker;
    }

    /** True when none of the process's tree is alive (reads /proc only: no native code). */
    public synchronized boolean treeEmpty() {
        if (!emptySeen) {
            emptySeen = terminator.empty();
        }
        return emptySeen;
    }

    /**
     * How the process ended, decoded ({@link Ending}): its status and the limit that ended it,
     * whose message is written here; not yet its crash log ({@link Ending#withCrashLog}).
     */
    public Ending ending(ExitStatus status) {
        LimitEnforcer.Verdict verdict = limits.verdict(status, cpuNanos());
        limits.report(verdict);
        return Ending.of(status, verdict.hit());
    }

    /**
     * The CPU time the process used, for a verdict on its CPU limit: its leaf's count where there
     * is one (the whole tree's), else the last sample of its own, taken while it ran.
     */
    private long cpuNanos() {
        if (leaf != null) {
            long usec = Cgroups.value(leaf.dir(), "cpu.stat", "usage_usec");
            if (usec >= 0) {
                return usec * 1000;
            }
        }
        return lastCpuNanos;
    }

    /** With a CPU limit and no leaf to count it, samples the process's CPU time while it runs. */
    private void sampleCpuTime() {
        Thread t = new Thread(() -> {
            while (!exit.isDone()) {
                long n = ProcFs.cpuNanos(id.pid());
                if (n >= 0) {
                    lastCpuNanos = n;
                }
                try {
                    exit.get(CPU_SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    // sample again
                } catch (Exception e) {
                    return;
                }
            }
        }, "supervisor-cpu-sampler");
        t.setDaemon(true);
        t.start();
    }

    /**
     * What the process's whole tree consumed, for a spec made {@link ProcessSpec#withAccounting
     * with accounting}: CPU time from its cgroup leaf, else from this JVM's reaped children; peak
     * memory from its memory cgroup, else from resident memory (see {@link Usage} for each
     * source). Call once the process and its tree have ended and been reaped, before
     * {@link #release()} (which removes the cgroups). Loads the native layer when a count needs
     * getrusage. Unknown values are -1.
     */
    public Usage usage() {
        long cpu = -1;
        String cpuSource = null;
        if (leaf != null) {
            long usec = Cgroups.value(leaf.dir(), "cpu.stat", "usage_usec");
            if (usec >= 0) {
                cpu = usec * 1000;
                cpuSource = Usage.CPU_CGROUP;
            }
        }
        Usage memory = limits.memoryPeak();
        long sampled = rss == null ? -1 : rss.stop();
        Posix.ChildrenUsage children = null;
        if (cpu < 0 || memory == null) {
            try {
                children = Platform.posix().childrenUsage();
            } catch (PlatformException e) {
                Log.debug("cannot count the " + spec.label() + "'s usage with getrusage: " + e.getMessage());
            }
        }
        if (cpu < 0 && childrenCpuBefore >= 0) {
            if (children != null) {
                cpu = Math.max(0, children.cpuNanos() - childrenCpuBefore);
                cpuSource = Usage.CPU_RUSAGE;
            } else {
                long now = ProcFs.childrenCpuNanos((int) ProcessHandle.current().pid());
                if (now >= 0) {
                    cpu = Math.max(0, now - childrenCpuBefore);
                    cpuSource = Usage.CPU_PROC;
                }
            }
        }
        if (memory != null) {
            return new Usage(cpu, cpuSource, memory.memoryPeakBytes(), memory.memorySource());
        }
        long peak = Math.max(sampled, children == null ? -1 : children.maxRssBytes());
        return new Usage(cpu, cpuSource, peak > 0 ? peak : -1, peak > 0 ? Usage.MEMORY_RSS : null);
    }

    /** True when the process is held by a cgroup2 leaf of its own, false for the process tree. */
    public boolean inCgroup() {
        return leaf != null;
    }

    /** How many forks the process limit refused (from its pids cgroup); known after {@link #release()}. */
    public long processLimitHits() {
        return processLimitHits;
    }

    /** Processes the memory limit killed while the task went on (said at {@link #release()}). */
    public long memoryLimitKills() {
        return memoryLimitKills;
    }

    /** Whether the limits are in force at all. */
    public boolean limited() {
        return spec.limits().any();
    }

    /**
     * The crash log a JVM writes when it dies of a signal ({@code hs_err_pidN.log}): in its
     * working directory, or in the temporary directory when that was not writable; after
     * {@link #release()}, where it was moved to out of a temporary working directory.
     */
    public Optional<Path> crashLog() {
        if (savedCrashLog != null) {
            return Optional.of(savedCrashLog);
        }
        String name = "hs_err_pid" + id.pid() + ".log";
        Path dir = workdir == null ? Path.of("").toAbsolutePath() : workdir;
        for (Path candidate : new Path[] {dir.resolve(name), Path.of(System.getProperty("java.io.tmpdir"), name),
                privateTmp == null ? null : privateTmp.resolve(name)}) {
            if (candidate != null && Files.exists(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Kills whatever of the process's tree still lives, waits for the process to end, then removes
     * everything that was made for it. Idempotent; thread-safe; returns within about twice
     * {@link #KILL_BUDGET_NANOS}.
     *
     * @return the kill's report when something had to be killed, else null
     */
    public KillReport release() {
        synchronized (this) {
            if (released) {
                return null;
            }
            released = true;
        }
        if (rss != null) {
            rss.stop();
        }
        KillReport report = null;
        if (exit != null) {
            boolean running = process != null ? process.isAlive() : !exit.isDone();
            if (running || !treeEmpty()) {
                try {
                    report = killTree();
                } catch (PlatformException e) {
                    Log.error("cannot kill the " + spec.label() + "'s processes: " + e.getMessage());
                }
            }
            try {
                if (process != null) {
                    process.waitFor(KILL_BUDGET_NANOS, TimeUnit.NANOSECONDS);
                } else {
                    exit.get(KILL_BUDGET_NANOS, TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                Log.debug("the " + spec.label() + " (pid " + id.pid() + ") was not seen to end: " + e);
            }
            processLimitHits = limits.reportProcesses();
            memoryLimitKills = limits.reportMemoryKills();
            synchronized (this) {
                terminator.close();
                treeClosed = true;
            }
        } else if (leaf != null) {
            leaf.remove();
        }
        limits.close();
        if (scratch != null) {
            Workdirs.delete(scratch);
        }
        if (spec.tempWorkdir() && workdir != null) {
            if (spec.keepWorkdir()) {
                Log.info("kept the " + spec.label() + "'s working directory " + workdir);
            } else {
                saveCrashLogs(workdir);
                Workdirs.delete(workdir);
            }
        }
        if (privateTmp != null) {
            saveCrashLogs(privateTmp);
            Workdirs.delete(privateTmp);
        }
        if (notifySocket != null) {
            notifySocket.close();
        }
        if (notifyDir != null) {
            Workdirs.delete(notifyDir);
        }
        lease.release();
        return report;
    }

    /**
     * Crash logs ({@code hs_err_pidN.log}, the process's own and its child JVMs') inside a
     * directory that is about to go are moved out first: to the supervisor's working directory,
     * else its temporary directory.
     */
    private void saveCrashLogs(Path from) {
        if (id == null) {
            return;
        }
        if (Files.isSymbolicLink(from)) {
            return; // the task put a link in its place: what it points to is not ours to move
        }
        List<Path> logs;
        try (Stream<Path> files = Files.list(from)) {
            // Regular files only, looked at without following a link: a link or a directory of
            // that name is the task's own, not a crash log to take out.
            logs = files.filter(f -> f.getFileName().toString().matches("hs_err_pid[0-9]+\\.log")
                    && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList();
        } catch (IOException e) {
            return; // gone already, or unreadable: nothing to save from it
        }
        for (Path log : logs) {
            Path moved = moveOut(log);
            if (moved != null && log.getFileName().toString().equals("hs_err_pid" + id.pid() + ".log")) {
                savedCrashLog = moved;
            } else if (moved != null) {
                Log.info("moved the crash log " + log.getFileName() + " out of the " + spec.label() + "'s directory "
                        + from + " to " + moved);
            }
        }
    }

    private static Path moveOut(Path log) {
        for (Path dir : new Path[] {Path.of("").toAbsolutePath(), Path.of(System.getProperty("java.io.tmpdir"))}) {
            try {
                return Files.move(log, dir.resolve(log.getFileName()));
            } catch (AccessDeniedException e) {
                // try the next place
            } catch (IOException e) {
                Log.debug("cannot move " + log + " to " + dir + ": " + e.getMessage());
            }
        }
        return null;
    }
}
