package supervisor.pool;

import supervisor.sandbox.Sandbox;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import supervisor.limits.Limits;
import supervisor.log.Printable;
import supervisor.serial.AllowList;
import supervisor.terminate.Mechanism;
import supervisor.units.Bounds;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.Hello;

/**
 * How a {@link WorkerPool} runs its workers. Immutable; made with {@link #forClassPath()} (the
 * workers run the caller's own code, given as lambdas or through a proxy) or {@link #builder(Path)}
 * (the workers run the {@link supervisor.worker.Task} of a worker jar).
 */
public final class PoolSettings {
    /** How a worker's whole process tree is held, so that stopping it leaves nothing behind. */
    public enum Termination {
        /** {@link #CGROUP} where a cgroup can be made, {@link #TREE} otherwise. */
        AUTO,
        /**
         * A cgroup v2 leaf per worker, killed with cgroup.kill: nothing escapes it, whatever it
         * did. A worker cannot start where no cgroup can be made.
         */
        CGROUP,
        /**
         * The worker's session, group, environment marker and descendants, found through /proc,
         * frozen with SIGSTOP, then killed. Never a cgroup.
         */
        TREE
    }

    final Path workerJar; // null: the workers run the caller's code (forClassPath)
    final List<Path> classPath; // the workers' class path, after the stub's
    final List<Path> modulePath; // the workers' module path, all its modules resolved; empty: none
    final String taskClass; // null: the worker jar's Task-Class
    final AllowList allowList;
    final boolean ownClassPath; // the workers' class path is this JVM's (forClassPath())
    final int workers;
    final List<String> jvmOptions;
    final String java;
    final Duration callTimeout;
    final Duration grace;
    final int maxCallsPerWorker;
    final int pipeline;
    final Duration startupTimeout;
    final int maxFrameBytes;
    final Map<String, String> environment;
    final int queueCapacity;
    final int retries;
    final Termination termination;
    final Duration heartbeat;
    final Consumer<String> workerOutput;
    final long memoryLimit;
    final int restartIntensity;
    final Duration restartPeriod;
    final Duration probeInterval;
    final Duration probeMax;
    final boolean recycleAfterFatalError;
    final Duration cpuTimeLimit;
    final int maxProcesses;
    final Sandbox sandbox;
    final String name; // null: the pool picks "pool-N"
    final boolean jmx;
    final boolean claimOrphans;
    final Executor completionExecutor; // null: the pool's own
    // The same, as the types of the internal packages that start a worker (see Worker.start).
    final Mechanism mechanism;
    final Limits limits;

    private PoolSettings(Builder b) {
        this.workerJar = b.workerJar;
        this.classPath = List.copyOf(b.classPath);
        this.modulePath = List.copyOf(b.modulePath);
        this.taskClass = b.workerJar == null ? CALLABLE_TASK : null;
        this.allowList = b.allowList;
        this.ownClassPath = b.ownClassPath;
        this.workers = b.workers;
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.java = b.java;
        this.callTimeout = b.callTimeout;
        this.grace = b.grace;
        this.maxCallsPerWorker = b.maxCallsPerWorker;
        this.pipeline = b.pipeline;
        this.startupTimeout = b.startupTimeout;
        this.maxFrameBytes = b.maxFrameBytes;
        this.environment = Map.copyOf(b.environment);
        this.queueCapacity = b.queueCapacity;
        this.retries = b.retries;
        this.termination = b.termination;
        this.heartbeat = b.heartbeat;
        this.workerOutput = b.workerOutput;
        this.memoryLimit = b.memoryLimit;
        this.restartIntensity = b.restartIntensity;
        this.restartPeriod = b.restartPeriod;
        this.probeInterval = b.probeInterval;
        this.probeMax = b.probeMax;
        this.recycleAfterFatalError = b.recycleAfterFatalError;
        this.cpuTimeLimit = b.cpuTimeLimit;
        this.maxProcesses = b.maxProcesses;
        this.sandbox = b.sandbox;
        this.name = b.name;
        this.jmx = b.jmx;
        this.claimOrphans = b.claimOrphans;
        this.completionExecutor = b.completionExecutor;
        this.mechanism = switch (termination) {
            case AUTO -> Mechanism.AUTO;
            case CGROUP -> Mechanism.CGROUP;
            case TREE -> Mechanism.TREE;
        };
        // A worker's stdout is its protocol and its stderr goes to workerOutput: no output limit.
        this.limits = new Limits(memoryLimit, cpuTimeLimit.toNanos(), maxProcesses, 0);
    }

    /** The worker stub's task that runs a serialized {@link supervisor.worker.WorkerCallable}. */
    static final String CALLABLE_TASK = "supervisor.worker.CallableTask";

    /** Settings for a pool of workers running the Task-Class named in {@code workerJar}'s manifest. */
    public static Builder builder(Path workerJar) {
        Objects.requireNonNull(workerJar, "workerJar");
        return new Builder(workerJar, List.of(workerJar.toAbsolutePath()));
    }

    /**
     * Settings for a pool whose workers run the caller's own code ({@link WorkerPool#call},
     * {@link WorkerPool#submit(supervisor.worker.WorkerCallable)}, {@link WorkerPool#proxy}),
     * with the caller's class path ({@code java.class.path}: a plain class path, a jar run with
     * {@code java -jar}, or a manifest-only jar such as Maven Surefire's) and module path
     * ({@code jdk.module.path}, every module on it resolved in the workers). From a named module,
     * a lambda crosses whole unless its package is open to {@code supervisor.worker} (then in
     * the faster short form); a proxied interface's package must be open to it.
     *
     * @throws IllegalStateException when this JVM has no class path (it runs from the module path
     *     alone, or its classes come from a custom class loader): name one with
     *     {@link #forClassPath(List)}
     */
    public static Builder forClassPath() {
        List<Path> paths = paths(System.getProperty("java.class.path", ""));
        List<Path> modules = paths(System.getProperty("jdk.module.path", ""));
        if (paths.isEmpty() && modules.isEmpty()) {
            throw new IllegalStateException("this JVM has no class path and no module path for its workers;"
                    + " name their jars and directories with PoolSettings.forClassPath(paths)");
        }
        Builder b = new Builder(null, paths);
        b.modulePath.addAll(modules);
        b.ownClassPath = true;
        return b;
    }

    private static List<Path> paths(String joined) {
        List<Path> paths = new ArrayList<>();
        for (String entry : joined.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                paths.add(Path.of(entry).toAbsolutePath());
            }
        }
        return paths;
    }

    /** As {@link #forClassPath()}, with the workers' class path given: jars and directories. */
    public static Builder forClassPath(List<Path> classPath) {
        if (classPath.isEmpty()) {
            throw new IllegalArgumentException("the workers' class path is empty");
        }
        List<Path> paths = new ArrayList<>();
        for (Path p : classPath) {
            paths.add(p.toAbsolutePath());
        }
        return new Builder(null, paths);
    }

    /** The worker jar of {@link #builder(Path)}; null for {@link #forClassPath()}. */
    public Path workerJar() {
        return workerJar;
    }

    /** The workers' class path after the worker stub: the jar, or the caller's class path. */
    public List<Path> classPath() {
        return classPath;
    }

    /** The workers' module path (the caller's, for {@link #forClassPath()}); empty for none. */
    public List<Path> modulePath() {
        return modulePath;
    }

    /** What a worker's answer may hold: see {@link Builder#allowPackages}. */
    AllowList allowList() {
        return allowList;
    }

    public int workers() {
        return workers;
    }

    public Duration callTimeout() {
        return callTimeout;
    }

    public Duration grace() {
        return grace;
    }

    public Termination termination() {
        return termination;
    }

    /** Memory of each worker in bytes; 0 means no limit. */
    public long memory() {
        return memoryLimit;
    }

    /** CPU time of each process of a worker; zero means no limit. */
    public Duration cpuTime() {
        return cpuTimeLimit;
    }

    /** @deprecated use {@link #memory()} */
    @Deprecated
    public long memoryLimit() {
        return memoryLimit;
    }

    /** @deprecated use {@link #cpuTime()} */
    @Deprecated
    public Duration cpuTimeLimit() {
        return cpuTimeLimit;
    }

    /** Processes and threads of each worker's tree; 0 means no limit. */
    /** What each worker is kept from ({@link Sandbox#NONE}: nothing). */
    public Sandbox sandbox() {
        return sandbox;
    }

    public int maxProcesses() {
        return maxProcesses;
    }

    /** The name given with {@link Builder#name}, or null (the pool then calls itself "pool-N"). */
    public String name() {
        return name;
    }

    /** Whether the pool registers its {@link WorkerPoolMXBean}. */
    public boolean jmx() {
        return jmx;
    }

    /** Builds {@link PoolSettings}. Not thread-safe. */
    public static final class Builder {
        private final Path workerJar;
        private final List<Path> classPath;
        private final List<Path> modulePath = new ArrayList<>();
        private AllowList allowList = AllowList.defaults();
        private boolean ownClassPath;
        private int workers = Runtime.getRuntime().availableProcessors();
        private final List<String> jvmOptions = new ArrayList<>();
        private String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        private Duration callTimeout = Duration.ZERO;
        private Duration grace = Duration.ofSeconds(5);
        private int maxCallsPerWorker;
        private int pipeline = 1;
        private Duration startupTimeout = Duration.ofSeconds(30);
        private int maxFrameBytes = 64 * 1024 * 1024;
        private final Map<String, String> environment = new HashMap<>();
        private int queueCapacity = 1024;
        private int retries;
        private Termination termination = Termination.AUTO;
        private Duration heartbeat = Duration.ofSeconds(1);
        private Consumer<String> workerOutput = line -> System.err.println(line);
        private long memoryLimit;
        private Executor completionExecutor;
        private int restartIntensity = 5;
        private Duration restartPeriod = Duration.ofSeconds(60);
        private Duration probeInterval = Duration.ofSeconds(1);
        private Duration probeMax = Duration.ofSeconds(30);
        private boolean recycleAfterFatalError = true;
        private Duration cpuTimeLimit = Duration.ZERO;
        private int maxProcesses;
        private Sandbox sandbox = Sandbox.NONE;
        private String name;
        private boolean jmx = true;
        private boolean claimOrphans;

        private Builder(Path workerJar, List<Path> classPath) {
            this.workerJar = workerJar;
            this.classPath = classPath;
        }

        /**
         * Packages whose classes a worker's answer may hold (with their subpackages), besides the
         * defaults: the JDK's value types, collections and exceptions, records and enums, and a
         * proxied method's declared return and exception types. A result or an exception of a
         * class off the list is never built: the call fails with {@link AnswerRefusedException},
         * or for an exception, {@link TaskFailedException} with its class, message and stack as
         * text. Name only packages whose serializable classes run no code of their own when read
         * ({@code readObject}, {@code readResolve}): see docs/security.md.
         *
         * @throws IllegalArgumentException for a name such as {@code "com.example.*"} or {@code ""}
         */
        public Builder allowPackages(String... packages) {
            this.allowList = allowList.withPackages(List.of(packages));
            return this;
        }

        /** Classes a worker's answer may hold, besides the defaults: see {@link #allowPackages}. */
        public Builder allowClasses(Class<?>... classes) {
            this.allowList = allowList.withClasses(Set.of(classes));
            return this;
        }

        /**
         * How deep a worker's answer may nest objects (default {@value AllowList#DEFAULT_MAX_DEPTH})
         * and how many it may hold (default {@value AllowList#DEFAULT_MAX_REFERENCES}); an answer
         * beyond either is refused before it is built.
         */
        public Builder answerBounds(int maxDepth, int maxObjects) {
            this.allowList = allowList.withBounds(maxDepth, maxObjects);
            return this;
        }

        /** How many worker JVMs run at once (default: the number of CPUs). */
        public Builder workers(int n) {
            this.workers = Bounds.positive(n, "workers");
            return this;
        }

        /** An option for every worker JVM (repeatable), e.g. {@code -Xmx256m}. */
        public Builder jvmOption(String option) {
            this.jvmOptions.add(Objects.requireNonNull(option));
            return this;
        }

        /** The java binary for workers (default: the one running this JVM). */
        public Builder java(String path) {
            this.java = Objects.requireNonNull(path);
            return this;
        }

        /** The timeout of a call that names none; zero (the default) means none. */
        public Builder callTimeout(Duration d) {
            this.callTimeout = Bounds.atLeastZero(d, "callTimeout");
            return this;
        }

        /** How long a cancelled call may take to stop before its worker is killed (default 5 s). */
        public Builder grace(Duration d) {
            this.grace = Bounds.atLeastZero(d, "grace");
            return this;
        }

        /** Recycle a worker after this many calls, like maxtasksperchild; 0 (default) = never. */
        public Builder maxCallsPerWorker(int n) {
            this.maxCallsPerWorker = Bounds.atLeastZero(n, "maxCallsPerWorker");
            return this;
        }

        /**
         * How many calls a worker may be sent before it has answered them (default 1: one at a
         * time). Above 1, while every worker runs a call, the next calls go to the workers at once
         * and wait there, several in one write, and a worker starts the next the moment it answers
         * one: throughput of short calls rises severalfold. The price is that such a call waits
         * behind the one its worker runs even if another worker frees up first, so a call that
         * hangs holds up to {@code n - 1} others until it is stopped (they are then sent to the next
         * worker, never failed: they had not started). A call's timeout counts from when it starts
         * in its worker. An idle worker is always fed first. A worker recycled (after
         * {@link #maxCallsPerWorker} calls, or a fatal error: see {@link #recycleAfterFatalError})
         * is sent no call after that point, but answers those it already holds first. The thread
         * that submits a call may write it to a worker itself; with a pipeline, a worker that has
         * stopped reading (frozen) can hold that write until it is killed for it, the grace plus
         * 2 s at most.
         *
         * @throws IllegalArgumentException if {@code n} is not within 1..1024
         */
        public Builder pipeline(int n) {
            if (n < 1 || n > Hello.MAX_PIPELINE) {
                throw new IllegalArgumentException("pipeline must be within 1.." + Hello.MAX_PIPELINE + ", not " + n);
            }
            this.pipeline = n;
            return this;
        }

        /** How long a worker may take to start and load its task (default 30 s). */
        public Builder startupTimeout(Duration d) {
            this.startupTimeout = Bounds.positive(d, "startupTimeout");
            return this;
        }

        /** The largest protocol frame either side accepts (default 64 MiB). */
        public Builder maxFrameBytes(int n) {
            if (n < Frame.MIN_MAX_LENGTH || n > Frame.MAX_MAX_LENGTH) {
                throw new IllegalArgumentException("maxFrameBytes must be within " + Frame.MIN_MAX_LENGTH
                        + ".." + Frame.MAX_MAX_LENGTH + ", not " + n);
            }
            this.maxFrameBytes = n;
            return this;
        }

        /** An environment variable for every worker (repeatable). */
        public Builder environment(String key, String value) {
            this.environment.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        /** How many calls may wait for a worker; beyond that, submit blocks (default 1024). */
        public Builder queueCapacity(int n) {
            this.queueCapacity = Bounds.positive(n, "queueCapacity");
            return this;
        }

        /** How many times a call whose worker crashed or that timed out is tried again (default 0). */
        public Builder retries(int n) {
            this.retries = Bounds.atLeastZero(n, "retries");
            return this;
        }

        /** How each worker's process tree is held and killed (default {@link Termination#AUTO}). */
        public Builder termination(Termination t) {
            this.termination = Objects.requireNonNull(t, "termination");
            return this;
        }

        /** How often workers send heartbeats (default 1 s); informative only. */
        public Builder heartbeat(Duration d) {
            this.heartbeat = Bounds.atLeastZero(d, "heartbeat");
            return this;
        }

        /** Where worker stderr lines go, already prefixed with the worker id (default: System.err). */
        public Builder workerOutput(Consumer<String> sink) {
            this.workerOutput = Objects.requireNonNull(sink);
            return this;
        }

        /**
         * The memory of each worker in bytes (default 0: no limit): its cgroup's memory.max where
         * there is one, else the JVM's heap, metaspace and direct memory. A worker over it is
         * killed and its call fails with {@link WorkerCrashedException}.
         */
        public Builder memory(long bytes) {
            this.memoryLimit = Bounds.atLeastZero(bytes, "memory");
            return this;
        }

        /**
         * The old name of {@link #memory}, as in {@code TaskRequest.Builder.memory} and
         * {@code --memory}.
         *
         * @deprecated use {@link #memory}
         */
        @Deprecated
        public Builder memoryLimit(long bytes) {
            return memory(bytes);
        }

        /**
         * The CPU time of each process of a worker (RLIMIT_CPU, whole seconds, rounded up; default
         * zero: no limit). It counts over the worker's life, not per call.
         */
        public Builder cpuTime(Duration d) {
            Bounds.atLeastZero(d, "cpuTime");
            try {
                d.toNanos();
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("cpuTime is too long: " + d);
            }
            this.cpuTimeLimit = d;
            return this;
        }

        /**
         * The old name of {@link #cpuTime}, as in {@code TaskRequest.Builder.cpuTime} and
         * {@code --cpu-time}.
         *
         * @deprecated use {@link #cpuTime}
         */
        @Deprecated
        public Builder cpuTimeLimit(Duration d) {
            return cpuTime(d);
        }

        /**
         * The processes and threads of each worker's tree (default 0: no limit): its cgroup's
         * pids.max where there is one, else RLIMIT_NPROC, which counts all processes of the user.
         */
        /**
         * Each worker runs in {@code sandbox} ({@link Sandbox#strict()}: a dynamic user, no
         * network, a read-only view, its own process table; needs root). The workers' class path
         * and java are shown read-only where the view would hide them. A part the machine cannot
         * give fails each worker's start ({@link WorkerStartException}) unless best effort.
         */
        public Builder sandbox(Sandbox sandbox) {
            this.sandbox = Objects.requireNonNull(sandbox);
            return this;
        }

        public Builder maxProcesses(int n) {
            this.maxProcesses = Bounds.atLeastZero(n, "maxProcesses");
            return this;
        }

        /**
         * The restart intensity (Erlang/OTP's intensity and period, systemd's StartLimitBurst and
         * StartLimitIntervalSec): when more than {@code failures} worker starts fail in a row (no
         * worker became ready in between) within {@code period}, the pool is down: the calls
         * waiting, and every call submitted while it is down, fail at once with
         * {@link WorkerStartException} saying since when and the last worker's reason. It keeps
         * trying one start at a time (see {@link #probeInterval}) and is up again when one
         * succeeds. Failed starts are retried after a back-off (100 ms doubling to 5 s) until it is
         * down. A worker killed by a signal from outside while it starts (SIGKILL, SIGTERM, SIGINT,
         * SIGHUP: the OOM killer, an operator) does not count. Default: 5 within 60 s.
         */
        public Builder restartIntensity(int failures, Duration period) {
            this.restartIntensity = Bounds.atLeastZero(failures, "restartIntensity");
            this.restartPeriod = Bounds.positive(period, "restart period");
            return this;
        }

        /**
         * While the pool is down (see {@link #restartIntensity}): the first start is tried
         * {@code first} after it went down, the next ones at intervals doubling up to {@code max}.
         * Default: 1 s doubling to 30 s.
         */
        public Builder probeInterval(Duration first, Duration max) {
            this.probeInterval = Bounds.positive(first, "probe interval");
            this.probeMax = Bounds.positive(max, "maximum probe interval");
            if (max.compareTo(first) < 0) {
                throw new IllegalArgumentException("the maximum probe interval " + max + " is below the first " + first);
            }
            return this;
        }

        /**
         * Whether a worker whose call threw an {@link OutOfMemoryError}, {@link StackOverflowError},
         * {@link InternalError} or {@link UnknownError} is stopped and replaced after the call
         * (which fails with {@link TaskFailedException}): a JVM is not trustworthy after any of them
         * (a lock left held, a static initialiser half run). Default true: a fresh worker costs a
         * JVM start, a poisoned one wrong answers.
         */
        public Builder recycleAfterFatalError(boolean recycle) {
            this.recycleAfterFatalError = recycle;
            return this;
        }

        /**
         * The pool's name, in its MBean's ObjectName and its JFR events (default: {@code pool-N},
         * N counting the pools this JVM started, from 1). Should a pool of this JVM already have
         * registered the name, the pool takes {@code NAME-2}, {@code NAME-3}...: see
         * {@link WorkerPool#name()}.
         *
         * @throws IllegalArgumentException if it is empty, longer than 200 characters or holds a
         *     control character
         */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.length() > 200 || name.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("a pool name must have 1 to 200 characters and no control"
                        + " character: '" + Printable.escape(name) + "'");
            }
            this.name = name;
            return this;
        }

        /**
         * Whether the pool registers a {@link WorkerPoolMXBean} on the platform MBean server as
         * {@code supervisor:type=WorkerPool,name=NAME} while it is open (default true).
         */
        public Builder jmx(boolean register) {
            this.jmx = register;
            return this;
        }

        /**
         * Whether every orphan reparented to this JVM belongs to this pool's workers (default
         * false): true only when the pool is the only thing in the JVM that starts processes, as
         * in {@code supervisor pool}. On the process tree, the orphans of a worker that crashed
         * are then killed as it ends; otherwise only those of a worker that was stopped (replaced,
         * or the pool closed) are, as they are the only ones told apart from the application's.
         * See docs/termination.md.
         */
        public Builder claimOrphans(boolean claim) {
            this.claimOrphans = claim;
            return this;
        }

        /**
         * Where the calls' futures are completed, and so where their dependent actions
         * ({@code whenComplete}, {@code thenRun}, ...; those given no executor) run. Never on a
         * thread of the pool: a callback may block, submit calls and wait for them, or close the
         * pool. Default: the pool's own, a cached pool of daemon threads
         * {@code supervisor-pool-NAME-completion} that the pool does not need for anything else,
         * whose threads end within 60 s of going idle, and at close. An executor given here must
         * not run tasks on the submitting thread (the pool's own threads would run the callbacks
         * again); the pool does not shut it down.
         */
        public Builder completionExecutor(Executor executor) {
            this.completionExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        public PoolSettings build() {
            return new PoolSettings(this);
        }
    }
}
