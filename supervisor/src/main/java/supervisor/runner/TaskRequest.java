package supervisor.runner;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import supervisor.sandbox.Sandbox;
import supervisor.units.Bounds;

/**
 * One one-shot task for a {@link TaskRunner}: a program and its arguments (no shell), where its
 * output goes, its timeout and grace, its environment, working directory, limits and sandbox. Immutable;
 * made with {@link #builder}:
 * <pre>{@code
 * TaskRequest r = TaskRequest.builder("java", "-jar", "task.jar")
 *         .output(Path.of("task.log")).timeout(Duration.ofSeconds(30)).cpuTime(Duration.ofSeconds(10))
 *         .build();
 * }</pre>
 */
public final class TaskRequest {
    private final List<String> command;
    private final Path output;
    private final Duration timeout;
    private final Duration grace;
    private final Map<String, String> environment;
    private final Path workingDirectory;
    private final Duration cpuTime;
    private final long memoryBytes;
    private final int maxProcesses;
    private final Sandbox sandbox;

    private TaskRequest(Builder b) {
        this.command = b.command;
        this.output = b.output;
        this.timeout = b.timeout;
        this.grace = b.grace;
        this.environment = Map.copyOf(b.environment);
        this.workingDirectory = b.workingDirectory;
        this.cpuTime = b.cpuTime;
        this.memoryBytes = b.memoryBytes;
        this.maxProcesses = b.maxProcesses;
        this.sandbox = b.sandbox;
    }

    /** A request for {@code command}: a program (a path, or a name looked up on PATH) and its arguments. */
    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    public static Builder builder(String... command) {
        return new Builder(List.of(command));
    }

    public List<String> command() {
        return command;
    }

    /** Where stdout and stderr are appended; null: /dev/null. */
    public Path output() {
        return output;
    }

    /** Zero: none. */
    public Duration timeout() {
        return timeout;
    }

    public Duration grace() {
        return grace;
    }

    /** Variables set over the runner JVM's environment. */
    public Map<String, String> environment() {
        return environment;
    }

    /** Null: the runner JVM's. */
    public Path workingDirectory() {
        return workingDirectory;
    }

    /** CPU time of each process of the task; zero: no limit. */
    public Duration cpuTime() {
        return cpuTime;
    }

    /** Zero: no limit. */
    public long memoryBytes() {
        return memoryBytes;
    }

    /** Zero: no limit. */
    public int maxProcesses() {
        return maxProcesses;
    }

    /** The sandbox the task runs in; {@link Sandbox#NONE} by default. */
    public Sandbox sandbox() {
        return sandbox;
    }

    @Override
    public String toString() {
        return "TaskRequest" + command;
    }

    /** Not thread-safe; {@link #build()} may be called more than once. */
    public static final class Builder {
        private final List<String> command;
        private Path output;
        private Duration timeout = Duration.ZERO;
        private Duration grace = Duration.ofSeconds(5);
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path workingDirectory;
        private Duration cpuTime = Duration.ZERO;
        private long memoryBytes;
        private int maxProcesses;
        private Sandbox sandbox = Sandbox.NONE;

        private Builder(List<String> command) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("empty command");
            }
            command.forEach(Objects::requireNonNull);
            this.command = List.copyOf(command);
        }

        /** stdout and stderr appended to {@code file} (default, or null: /dev/null); stdin is /dev/null. */
        public Builder output(Path file) {
            this.output = file;
            return this;
        }

        /**
         * At the timeout the task gets SIGTERM with its process group, then, after the grace,
         * SIGKILL with everything it started. Zero (the default): no timeout.
         */
        public Builder timeout(Duration d) {
            this.timeout = Bounds.atLeastZero(d, "timeout");
            return this;
        }

        /** Between SIGTERM and SIGKILL at the timeout (default 5 s); zero: SIGKILL at once. */
        public Builder grace(Duration d) {
            this.grace = Bounds.atLeastZero(d, "grace");
            return this;
        }

        /** A variable set in the task's environment, over the runner JVM's (repeatable). */
        public Builder environment(String key, String value) {
            if (key.isEmpty() || key.indexOf('=') >= 0) {
                throw new IllegalArgumentException("not an environment variable name: '" + key + "'");
            }
            this.environment.put(key, Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Variables set in the task's environment, over the runner JVM's. */
        public Builder environment(Map<String, String> variables) {
            variables.forEach(this::environment);
            return this;
        }

        /** The task's working directory (default: the runner JVM's); it must exist. */
        public Builder workingDirectory(Path dir) {
            this.workingDirectory = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * CPU time of each process of the task (RLIMIT_CPU, whole seconds, rounded up): SIGXCPU
         * at the limit, SIGKILL 2 s later; the outcome's status is then 122. Zero: no limit.
         */
        public Builder cpuTime(Duration d) {
            this.cpuTime = Bounds.atLeastZero(d, "cpuTime");
            return this;
        }

        /**
         * The memory of the task's processes, in bytes: a memory cgroup where one is writable (the
         * outcome's status is then 121), else not applied (said once per task). Zero: no limit.
         */
        public Builder memory(long bytes) {
            this.memoryBytes = Bounds.atLeastZero(bytes, "memory");
            return this;
        }

        /**
         * Processes and threads of the task's tree: a pids cgroup where one is writable, else
         * RLIMIT_NPROC (which counts every process of the user). Zero: no limit.
         */
        public Builder maxProcesses(int n) {
            this.maxProcesses = Bounds.atLeastZero(n, "maxProcesses");
            return this;
        }

        /**
         * Runs the task sandboxed, as {@code supervisor run --sandbox} does ({@link Sandbox#strict()},
         * or parts of it): as another user, without the network, with a read-only view, in its own
         * process table. A part the machine cannot give fails the run with a
         * {@link TaskStartException} naming it, unless the sandbox asks for best effort.
         */
        public Builder sandbox(Sandbox s) {
            this.sandbox = Objects.requireNonNull(s, "sandbox");
            return this;
        }

        public TaskRequest build() {
            return new TaskRequest(this);
        }
    }
}
