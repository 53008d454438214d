package supervisor.pool;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import supervisor.terminate.Mechanism;

/**
 * How a {@link WorkerPool} runs its workers. Immutable; made with {@link #builder(Path)}.
 */
public final class PoolSettings {
    final Path workerJar;
    final int workers;
    final List<String> jvmOptions;
    final String java;
    final Duration callTimeout;
    final Duration grace;
    final int maxCallsPerWorker;
    final Duration startupTimeout;
    final int maxFrameBytes;
    final Map<String, String> environment;
    final int queueCapacity;
    final int retries;
    final Mechanism mechanism;
    final Duration heartbeat;
    final Consumer<String> workerOutput;
    final supervisor.limits.Limits limits;

    private PoolSettings(Builder b) {
        this.workerJar = b.workerJar;
        this.workers = b.workers;
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.java = b.java;
        this.callTimeout = b.callTimeout;
        this.grace = b.grace;
        this.maxCallsPerWorker = b.maxCallsPerWorker;
        this.startupTimeout = b.startupTimeout;
        this.maxFrameBytes = b.maxFrameBytes;
        this.environment = Map.copyOf(b.environment);
        this.queueCapacity = b.queueCapacity;
        this.retries = b.retries;
        this.mechanism = b.mechanism;
        this.heartbeat = b.heartbeat;
        this.workerOutput = b.workerOutput;
        this.limits = b.limits;
    }

    /** Settings for a pool of workers running the Task-Class named in {@code workerJar}'s manifest. */
    public static Builder builder(Path workerJar) {
        return new Builder(workerJar);
    }

    public Path workerJar() {
        return workerJar;
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

    /** Builds {@link PoolSettings}. Not thread-safe. */
    public static final class Builder {
        private final Path workerJar;
        private int workers = Runtime.getRuntime().availableProcessors();
        private final List<String> jvmOptions = new ArrayList<>();
        private String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        private Duration callTimeout = Duration.ZERO;
        private Duration grace = Duration.ofSeconds(5);
        private int maxCallsPerWorker;
        private Duration startupTimeout = Duration.ofSeconds(30);
        private int maxFrameBytes = 64 * 1024 * 1024;
        private final Map<String, String> environment = new HashMap<>();
        private int queueCapacity = 1024;
        private int retries;
        private Mechanism mechanism = Mechanism.AUTO;
        private Duration heartbeat = Duration.ofSeconds(1);
        private Consumer<String> workerOutput = line -> System.err.println(line);
        private supervisor.limits.Limits limits = supervisor.limits.Limits.NONE;

        private Builder(Path workerJar) {
            this.workerJar = Objects.requireNonNull(workerJar, "workerJar");
        }

        /** How many worker JVMs run at once (default: the number of CPUs). */
        public Builder workers(int n) {
            this.workers = positive(n, "workers");
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
            this.callTimeout = notNegative(d, "callTimeout");
            return this;
        }

        /** How long a cancelled call may take to stop before its worker is killed (default 5 s). */
        public Builder grace(Duration d) {
            this.grace = notNegative(d, "grace");
            return this;
        }

        /** Recycle a worker after this many calls, like maxtasksperchild; 0 (default) = never. */
        public Builder maxCallsPerWorker(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxCallsPerWorker must be >= 0, not " + n);
            }
            this.maxCallsPerWorker = n;
            return this;
        }

        /** How long a worker may take to start and load its task (default 30 s). */
        public Builder startupTimeout(Duration d) {
            this.startupTimeout = positive(d, "startupTimeout");
            return this;
        }

        /** The largest protocol frame either side accepts (default 64 MiB). */
        public Builder maxFrameBytes(int n) {
            if (n < 1024) {
                throw new IllegalArgumentException("maxFrameBytes must be >= 1024, not " + n);
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
            this.queueCapacity = positive(n, "queueCapacity");
            return this;
        }

        /** How many times a call whose worker crashed or that timed out is tried again (default 0). */
        public Builder retries(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("retries must be >= 0, not " + n);
            }
            this.retries = n;
            return this;
        }

        public Builder mechanism(Mechanism m) {
            this.mechanism = Objects.requireNonNull(m);
            return this;
        }

        /** How often workers send heartbeats (default 1 s); informative only. */
        public Builder heartbeat(Duration d) {
            this.heartbeat = notNegative(d, "heartbeat");
            return this;
        }

        /** Where worker stderr lines go, already prefixed with the worker id (default: System.err). */
        public Builder workerOutput(Consumer<String> sink) {
            this.workerOutput = Objects.requireNonNull(sink);
            return this;
        }

        /**
         * Limits for each worker: memory, CPU time and processes (the output limit does not apply:
         * a worker's output is its protocol and its stderr).
         */
        public Builder limits(supervisor.limits.Limits l) {
            this.limits = Objects.requireNonNull(l);
            return this;
        }

        public PoolSettings build() {
            return new PoolSettings(this);
        }

        private static int positive(int n, String what) {
            if (n <= 0) {
                throw new IllegalArgumentException(what + " must be > 0, not " + n);
            }
            return n;
        }

        private static Duration positive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be > 0, not " + d);
            }
            return d;
        }

        private static Duration notNegative(Duration d, String what) {
            if (d.isNegative()) {
                throw new IllegalArgumentException(what + " must be >= 0, not " + d);
            }
            return d;
        }
    }
}
