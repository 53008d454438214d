package supervisor.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
import supervisor.launch.ExitStatus;
import supervisor.launch.LaunchException;
import supervisor.limits.LimitEnforcer;
import supervisor.limits.Usage;
import supervisor.log.Log;
import supervisor.log.Reasons;
import supervisor.platform.Cgroups;
import supervisor.platform.DatagramReceiver;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;
import supervisor.confine.Confinement;
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
 *   <li><b>sandbox</b>, when the spec asks for one: its user, namespaces and read-only view, as
 *       a prefix of the command that the spawn execs after it has joined the cgroups
 *       ({@link Confinement}, whose decisions are all there);</li>
 *   <li><b>spawn</b>: {@code setsid setpriv --pdeathsig KILL -- sh -c SPAWN ...} (a
 *       {@link SpawnCommand}): the shell joins the cgroups and sets the rlimits on itself, then
 *       execs the command; environment and working directory from the spec; the directories it
 *       owns are {@link OwnedDirectories}, what it consumes a {@link UsageMeter};</li>
 *   <li><b>stop</b>: {@link #terminate()} (polite), {@link #kill()} (the whole tree, within
 *       {@link #KILL_BUDGET_NANOS});</li>
 *   <li><b>decode</b>: the exit status, a limit that caused it, the JVM's crash log;</li>
 *   <li><b>release</b>: kill what is left, remove the leaf, the cgroups, the directories it owns
 *       (moving crash logs out first) and the notify socket, and drop the guardian's records.</li>
 * </ol>
 * Spawn from a thread that lives as long as the process: the parent-death signal is tied to the
 * spawning thread. Every other method may be called from any thread.
 *
 * <p>One way in per {@link Kind kind} of start, one life: {@link #startTask} (one task, a
 * {@link Process}), {@link #startWorker} (a pool worker, its protocol on fd 3),
 * {@link #startDetached} (no {@code Process}, no JDK thread: many one-shot tasks, observed by one
 * {@link ChildWatcher}), and {@link #adopt} (a {@code Process} someone else started, held by its
 * marker: the zt-exec stopper), or {@link #prepareAdoption} then {@link #take} (the same,
 * contained before it starts). They differ only in how the process starts and how
 * its exit is observed.
 */
public final class SupervisedProcess {
    /** How long a kill of a whole tree may take before its survivors are reported. */
    public static final long KILL_BUDGET_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How long a receive on the process's notify socket waits, so that its reader sees the close. */
    private static final int NOTIFY_POLL_MILLIS = 100;

    /** How the process starts, and so how it is spawned, contained and observed. */
    private enum Kind {
        /** One task, a {@link Process} of this JVM, with a parent-death signal. */
        TASK,
        /** A pool worker: a {@code Process} whose protocol goes over fd 3 ({@link ProcessSpec.Stdio#WORKER}). */
        WORKER,
        /** A one-shot task reparented to this JVM, observed by a {@link ChildWatcher}. */
        DETACHED,
        /** Started by someone else (zt-exec): no limits, and this JVM is not made a subreaper for it. */
        FOREIGN
    }

    private final Kind kind;
    private final ProcessSpec spec;
    private final String marker;
    private final LimitEnforcer limits;
    private final Guardian.Lease lease;
    private final ChildWatcher watcher; // non-null: DETACHED
    private final OwnedDirectories dirs;
    private final UsageMeter meter;
    private Confinement confinement; // null: no sandbox
    // Set by the starting thread before the process is handed out, then read only.
    private CgroupLeaf leaf;
    private Path workdir;
    private Process process;
    private ProcessId id;
    private SharedTerminator terminator;
    private CompletableFuture<ExitStatus> exit;
    private volatile DatagramReceiver notifySocket;
    private volatile long processLimitHits;
    private volatile long memoryLimitKills;

    // The lock (this) guards these two; held only to read or flip them. The terminator's own use
    // across threads is SharedTerminator's, which never holds a lock across a kill or a wait.
    private boolean released;
    // Once no process of the tree lives, none can join it (nothing in it is left to fork): later
    // looks need no /proc scan, which a one-shot run would pay on its way out.
    private boolean emptySeen;

    /**
     * Keeps this JVM's guardian running while many processes come and go (a pool's workers, a
     * runner's tasks), instead of one guardian per process; closing the last pin and releasing
     * the last process dismisses it, so the JVM is left with no child process.
     */
    public static AutoCloseable pinGuardian() {
        Guardian.Lease pin = Guardian.lease();
        return pin::release;
    }

    /** Starts this JVM's guardian in the background, ahead of the first start; returns at once. */
    public static void prestartGuardian() {
        Guardian.prestart();
    }

    /**
     * Gets ready for {@link #startTask} while the caller checks other things: starts the guardian and,
     * when {@code spec} will be held by the process tree, loads the native layer that the subreaper
     * needs. Both would otherwise sit on the critical path of a one-shot run. Returns at once.
     */
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

    private SupervisedProcess(Kind kind, ProcessSpec spec, ChildWatcher watcher, String marker) {
        this.kind = kind;
        this.spec = spec;
        this.watcher = watcher;
        this.marker = marker;
        // With a pid namespace, the process held and the namespace's init are the sandbox's own
        // (see Confinement#helperProcesses): the process limit is the task's.
        this.limits = new LimitEnforcer(spec.limits(), spec.accounting(), spec.sandbox().privatePids() ? 2 : 0);
        this.lease = Guardian.lease();
        this.dirs = new OwnedDirectories(lease, spec.label());
        this.meter = new UsageMeter(spec, limits);
    }

    /**
     * Starts {@code spec}'s process, one task, contained and limited: a {@link Process} of this
     * JVM, in a session of its own, with a parent-death signal.
     *
     * @throws IllegalArgumentException for a spec whose streams are a worker's
     * @throws LaunchException with status 125 and a message naming what failed (the program, the
     *     working directory, the cgroup); everything made for the process is released first
     */
    public static SupervisedProcess startTask(ProcessSpec spec) throws LaunchException {
        if (spec.stdio() == ProcessSpec.Stdio.WORKER) {
            throw new IllegalArgumentException("a task's streams are not a worker's: use startWorker");
        }
        return launched(new SupervisedProcess(Kind.TASK, spec, null, Names.marker()));
    }

    /**
     * Starts a pool worker, contained and limited like {@link #startTask}: its streams are
     * {@link ProcessSpec.Stdio#WORKER}; held by its tree, it has no parent-death signal (it is its
     * orphans' subreaper, and ends itself, killing them, when its stdin ends).
     *
     * @throws IllegalArgumentException for a spec whose streams are not a worker's
     * @throws LaunchException as {@link #startTask} does
     */
    public static SupervisedProcess startWorker(ProcessSpec spec) throws LaunchException {
        if (spec.stdio() != ProcessSpec.Stdio.WORKER) {
            throw new IllegalArgumentException("a worker's streams are ProcessSpec.Stdio.WORKER");
        }
        return launched(new SupervisedProcess(Kind.WORKER, spec, null, Names.marker()));
    }

    /**
     * Starts {@code spec}'s process, contained and limited like {@link #startTask}, but not as a
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
        return launched(new SupervisedProcess(Kind.DETACHED, spec, Objects.requireNonNull(watcher), Names.marker()));
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
    public static SupervisedProcess adopt(Process process, String marker, String label) {
        ProcessSpec spec = ProcessSpec.command(List.of(label)).withLabel(label).withMechanism(Mechanism.TREE);
        return new SupervisedProcess(Kind.FOREIGN, spec, null, Objects.requireNonNull(marker)).take(process);
    }

    /**
     * For a process someone else is about to start (zt-exec's): its containment, made now, so
     * that it holds the process from its first instruction. A cgroup leaf where the machine
     * allows one (recorded with the guardian), else the marker alone. Start the command given by
     * {@link #wrap}, with {@code SUPERVISOR_TASK=marker} in its environment, then hand the
     * {@code Process} to {@link #take}; {@link #release()} in any case.
     */
    public static SupervisedProcess prepareAdoption(String marker, String label) {
        ProcessSpec spec = ProcessSpec.command(List.of(label)).withLabel(label);
        SupervisedProcess p = new SupervisedProcess(Kind.FOREIGN, spec, null, Objects.requireNonNull(marker));
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
        return new SpawnCommand(command).joinCgroup(leaf.dir()).keepPwd(true).shell();
    }

    /** Takes charge of {@code process}, started by someone else (see {@link #adopt}, {@link #prepareAdoption}). */
    public SupervisedProcess take(Process process) {
        if (kind != Kind.FOREIGN || this.process != null) {
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
        try {
            p.launch();
            return p;
        } catch (LaunchException e) {
            p.release();
            throw e;
        } catch (IOException | RuntimeException e) {
            p.release();
            throw LaunchException.supervisorFailed("cannot start the " + p.spec.label() + ": " + Reasons.of(e), e);
        }
    }

    private void launch() throws LaunchException, IOException {
        Log.trace("launch");
        // A command in variables, or a program as given, is found by the spawn's shell, as execvp
        // would (the words here may have lost their bytes beyond ASCII: see
        // ProcessSpec.withCommandFromVariables).
        String program = spec.commandFromVariables() || spec.programAsGiven() ? spec.command().get(0)
                : SpawnCommand.program(spec.command().get(0));
        Helpers.require();
        if (spec.sandbox().any()) {
            confinement = Confinement.enter(spec.sandbox(), Helpers::find);
        }
        workdir = spec.workdir();
        if (spec.tempWorkdir()) {
            workdir = dirs.makeWorkdir(spec.keepWorkdir());
            if (confinement != null) {
                confinement.giveTo(workdir);
            }
        } else if (workdir != null) {
            SpawnCommand.checkWorkdir(workdir);
            if (confinement != null) {
                confinement.checkWritable(workdir, "the working directory");
            }
        }
        contain();
        Log.trace("contained");
        LimitEnforcer.Prepared prepared = LimitEnforcer.Prepared.NONE;
        if (spec.limits().any() || spec.accounting()) {
            Path scratch = spec.limits().any() ? dirs.makeScratch() : null;
            if (scratch != null && confinement != null) {
                confinement.giveTo(scratch); // the task's JVM reads its options files there
            }
            prepared = limits.prepare(leaf == null ? null : leaf.dir(), scratch, spec.jvm(), lease::cgroup);
        }
        List<String> jvmOptions = new ArrayList<>(prepared.jvmOptions());
        Map<String, String> environment = spec.buildEnvironment(System.getenv(), new HashMap<>());
        if (spec.privateTmp()) {
            Path tmp = dirs.makePrivateTmp();
            if (confinement != null) {
                confinement.giveTo(tmp);
            }
            jvmOptions.add("-Djava.io.tmpdir=" + tmp);
            environment.put("TMPDIR", tmp.toString());
        }
        if (spec.notifySocket()) {
            Path socket = dirs.makeNotifyDir().resolve("notify");
            notifySocket = Platform.posix().bindDatagram(socket, NOTIFY_POLL_MILLIS);
            if (confinement != null) {
                confinement.giveTo(socket.getParent());
                confinement.giveTo(socket); // sending to it is writing to it
            }
            environment.put("NOTIFY_SOCKET", socket.toString());
        }
        List<String> command = new ArrayList<>();
        if (!spec.commandFromVariables()) {
            command.addAll(spec.commandWith(jvmOptions));
            command.set(0, program);
        }
        if (confinement != null) {
            List<Path> readWrite = new ArrayList<>();
            if (workdir != null) {
                readWrite.add(workdir);
            }
            if (dirs.privateTmp() != null) {
                readWrite.add(dirs.privateTmp());
            }
            if (notifySocket != null) {
                readWrite.add(Path.of(environment.get("NOTIFY_SOCKET")).getParent());
            }
            List<String> sandboxed = new ArrayList<>(confinement.prefix(confinement.pathsToShow(command, spec.jvm()), readWrite,
                    kind == Kind.WORKER ? List.of(0, 3) : List.of()));
            sandboxed.addAll(command);
            command = sandboxed;
        }
        SpawnCommand spawn = new SpawnCommand(command)
                .joinCgroups(leaf == null ? List.of() : List.of(leaf.dir()))
                .joinCgroups(prepared.join())
                .cpuSeconds(prepared.cpuSeconds())
                .maxProcesses(prepared.nproc())
                .streams(switch (kind) {
                    case WORKER -> SpawnCommand.Streams.WORKER;
                    case DETACHED -> SpawnCommand.Streams.DETACHED;
                    default -> SpawnCommand.Streams.AS_GIVEN;
                })
                .keepPwd(environment.containsKey("PWD"))
                .ignoreSignals(spec.ignoredSignals());
        if (spec.commandFromVariables()) {
            spawn.commandFromVariables(spec.firstVariable(), spec.lastVariable());
        }

        ProcessBuilder pb = new ProcessBuilder();
        applyEnvironment(pb.environment(), environment);
        pb.environment().put(TaskTree.MARKER_VARIABLE, marker);
        if (workdir != null) {
            pb.directory(workdir.toFile());
        }
        if (kind == Kind.DETACHED) {
            DetachedLaunch.start(pb, spawn, spec.outputFile(), spec.label(), program, KILL_BUDGET_NANOS,
                    pid -> detached(pid, program));
            Log.debug(spec.label() + " pid " + id.pid() + " (detached); termination mechanism: " + terminator.mechanism());
            return;
        }
        spawnAsChild(pb, spawn, program);
    }

    /**
     * Makes {@code target} (a ProcessBuilder's copy of this JVM's environment) hold
     * {@code wanted}, changing only what differs: the JDK keeps an inherited variable's bytes and
     * passes them on as they were, whereas a variable put from a String is encoded in the
     * locale's character set, which in the C locale turns every byte beyond ASCII into '?'.
     */
    private static void applyEnvironment(Map<String, String> target, Map<String, String> wanted) {
        target.keySet().retainAll(wanted.keySet());
        wanted.forEach((key, value) -> {
            if (!value.equals(target.get(key))) {
                target.put(key, value);
            }
        });
    }

    /**
     * A task's or a worker's spawn: a {@link Process} of this JVM, in a session of its own unless
     * the spec keeps it in this JVM's ({@link ProcessSpec#withOwnSession}).
     */
    private void spawnAsChild(ProcessBuilder pb, SpawnCommand spawn, String program) throws LaunchException {
        List<String> command = new ArrayList<>();
        if (spec.ownSession()) {
            Helpers.setsid().ifPresent(command::add);
        }
        // A worker held by the tree is its orphans' subreaper: a parent-death SIGKILL would end
        // it the instant this JVM dies, its orphans going to init before the guardian could
        // stop them. It ends itself once its stdin ends (within 750 ms), killing them first.
        if (!(kind == Kind.WORKER && heldByTree(spec.mechanism()))) {
            Helpers.setpriv().ifPresent(p -> command.addAll(List.of(p, "--pdeathsig", "KILL", "--")));
        }
        command.addAll(spawn.shell());
        pb.command(command);
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
        meter.beforeSpawn();
        try {
            process = OwnedChildren.start(pb);
        } catch (IOException e) {
            throw LaunchException.supervisorFailed("cannot start the " + spec.label() + " (" + program + "): "
                    + e.getMessage(), e);
        }
        int pid = (int) process.pid();
        // A process that is already gone still has its zombie, which /proc shows until the JDK reaps it.
        id = ProcFs.id(pid).orElse(new ProcessId(pid, -1));
        lease.task(id, marker);
        exit = OwnedChildren.exitStatus(process);
        hold(pid);
        meter.started(pid, exit);
        meter.sampleMemory();
    }

    /** A detached task's pid, while it waits for "go" (see {@link DetachedLaunch}): taken charge of. */
    private void detached(int pid, String program) throws LaunchException {
        id = ProcFs.id(pid).orElse(null);
        if (id == null) {
            throw LaunchException.supervisorFailed("cannot start the " + spec.label() + " (" + program + "): pid " + pid + " vanished before it was told to go");
        }
        hold(pid);
        exit = watcher.watch(pid);
        meter.started(pid, exit);
        lease.task(id, marker);
    }

    /** How the process's tree is held: its cgroup leaf, else its session, marker and descendants. */
    private void hold(int pid) {
        // Any guardian of this JVM, asked each time: one that dies is replaced by another, born
        // after the task, which a tree that claims orphans would otherwise count as its own.
        IntPredicate guardian = Guardian::isGuardian;
        Terminator t;
        if (!ProcFs.available()) {
            t = new PortableTerminator(id);
            Log.warn("not Linux (" + System.getProperty("os.name") + "): the " + spec.label() + "'s processes are"
                    + " found through ProcessHandle only; a process that leaves its parent's tree will not be killed");
        } else {
            TreeTerminator tree = new TreeTerminator(new TaskTree(id, marker, spec.claimOrphans(), guardian),
                    p -> p == pid || guardian.test(p), spec.nestedSupervisorWord());
            t = leaf == null ? tree : new CgroupTerminator(leaf, tree);
        }
        terminator = new SharedTerminator(t);
        Log.debug(spec.label() + " pid " + pid + "; termination mechanism: " + terminator.mechanism());
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
                    meter.contained(leaf);
                } catch (IOException e) {
                    if (mechanism == Mechanism.CGROUP) {
                        throw LaunchException.supervisorFailed("cannot create a cgroup below " + parent.get() + ": " + e.getMessage(), e);
                    }
                    Log.warn("cannot create a cgroup below " + parent.get() + " (" + e.getMessage()
                            + "): the " + spec.label() + " is held by its process tree instead");
                }
            } else if (mechanism == Mechanism.CGROUP) {
                throw LaunchException.supervisorFailed("the cgroup mechanism was asked for, but there is no writable cgroup2 hierarchy with cgroup.kill here"
                        + " (needs root, or a systemd unit with Delegate=yes)");
            } else {
                Log.debug("no writable cgroup2 hierarchy: the " + spec.label() + " is held by its process tree");
            }
        }
        if (kind == Kind.DETACHED) {
            // The watcher made this JVM the subreaper, and reaps adopted orphans itself.
        } else if (kind == Kind.FOREIGN) {
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
        return dirs.privateTmp();
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

    /**
     * SIGTERM to the process and its group, so that shutdown hooks run. Thread-safe; sends
     * nothing while a kill is under way or once the process is released.
     */
    public void terminate() {
        terminator.terminate();
    }

    /**
     * Asks the process to stop with {@code signal}: the process and its group, or, with
     * {@code wholeTree}, every process of its tree however it hid (systemd's
     * {@code KillMode=control-group}). Thread-safe; sends nothing while a kill is under way or
     * once the process is released.
     *
     * @return how many processes were sent the signal
     */
    public int terminate(int signal, boolean wholeTree) {
        // Counted before: the namespace's init ends as soon as the last of the task's processes has.
        int helpers = confinement == null ? 0 : sandboxProcesses();
        int sent = terminator.terminate(signal, wholeTree);
        return Math.max(0, sent - helpers);
    }

    /**
     * The sandbox's own processes alive in the tree (the one held, outside its namespaces, and
     * the pid namespace's init: see Confinement), which a count of the task's processes leaves
     * out. They get the signals too, and ignore them.
     */
    private int sandboxProcesses() {
        int n = 0;
        for (ProcessId p : processes()) {
            try {
                byte[] cmdline = Files.readAllBytes(Path.of("/proc", Integer.toString(p.pid()), "cmdline"));
                if (new String(cmdline, StandardCharsets.ISO_8859_1).startsWith(Confinement.PROCESS_NAME)) {
                    n++;
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return n;
    }

    /**
     * SIGKILL to the process and everything it started, however it hid; returns once all are
     * dead or {@link #KILL_BUDGET_NANOS} has passed. Thread-safe: a kill asked for while one is
     * under way waits for that one and returns its report; after {@link #release()} (which
     * killed what there was) an empty report.
     */
    public KillReport kill() {
        return terminator.kill(System.nanoTime() + KILL_BUDGET_NANOS);
    }

    /**
     * The processes of its tree alive now: its cgroup leaf's and what its tree holds (reads /proc
     * and the leaf only); after the kill under way, if any. Empty once released.
     */
    public List<ProcessId> processes() {
        return terminator.processes();
    }

    /** The marker in the process's environment ({@code SUPERVISOR_TASK}): names its run, never a pid. */
    public String marker() {
        return marker;
    }

    /** True when none of the process's tree is alive (reads /proc only: no native code). */
    public boolean treeEmpty() {
        synchronized (this) {
            if (emptySeen) {
                return true;
            }
        }
        boolean empty = terminator.empty();
        synchronized (this) {
            emptySeen |= empty;
            return emptySeen;
        }
    }

    /**
     * How the process ended, decoded ({@link Ending}): its status and the limit that ended it,
     * whose message is written here; not yet its crash log ({@link Ending#withCrashLog}).
     */
    public Ending ending(ExitStatus status) {
        LimitEnforcer.Verdict verdict = limits.verdict(status, meter.cpuNanos());
        limits.report(verdict);
        return Ending.of(status, verdict.hit());
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
        return meter.usage();
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
     * working directory, or in the temporary directory when that was not writable, or where a
     * {@code -XX:ErrorFile=} option of its command put it; after {@link #release()}, where it was
     * moved to out of a temporary working directory.
     */
    public Optional<Path> crashLog() {
        Optional<Path> saved = dirs.savedCrashLog();
        if (saved.isPresent()) {
            return saved;
        }
        Path named = errorFileOption();
        if (named != null && Files.exists(named)) {
            return Optional.of(named);
        }
        String name = "hs_err_pid" + id.pid() + ".log";
        Path dir = workdir == null ? Path.of("").toAbsolutePath() : workdir;
        Path privateTmp = dirs.privateTmp();
        for (Path candidate : new Path[] {dir.resolve(name), Path.of(System.getProperty("java.io.tmpdir"), name),
                privateTmp == null ? null : privateTmp.resolve(name)}) {
            if (candidate != null && Files.exists(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Where the last -XX:ErrorFile= option of the command sends the crash log (%p the pid, %% a %), or null. */
    private Path errorFileOption() {
        String file = null;
        for (String arg : spec.command()) {
            if (arg.startsWith("-XX:ErrorFile=")) {
                file = arg.substring("-XX:ErrorFile=".length()); // the last one wins, as in the JVM
            }
        }
        if (file == null || file.isEmpty()) {
            return null;
        }
        String path = file.replace("%%", "\0").replace("%p", Long.toString(id.pid())).replace("\0", "%");
        Path p = Path.of(path);
        return p.isAbsolute() ? p : (workdir == null ? Path.of("").toAbsolutePath() : workdir).resolve(p);
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
        meter.stop();
        KillReport report = null;
        if (exit != null) {
            boolean running = process != null ? process.isAlive() : !exit.isDone();
            if (running || !treeEmpty()) {
                try {
                    report = kill();
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
            terminator.close(); // after a kill or a call under way on another thread
        } else if (leaf != null) {
            leaf.remove();
        }
        limits.close();
        if (notifySocket != null) {
            notifySocket.close();
        }
        if (confinement != null && spec.tempWorkdir() && spec.keepWorkdir() && workdir != null) {
            confinement.takeBack(workdir);
        }
        dirs.remove(id == null ? -1 : id.pid());
        if (confinement != null) {
            confinement.close(); // its tree is gone: a dynamic user may be someone else's now
        }
        lease.release();
        return report;
    }
}
