package supervisor.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import supervisor.cli.batch.Batch;
import supervisor.cli.batch.BatchOptions;
import supervisor.cli.config.ConfigException;
import supervisor.cli.config.Setting;
import supervisor.cli.config.Settings;
import supervisor.cli.report.PoolReport;
import supervisor.cli.report.Report;
import supervisor.cli.run.SignalEvents;
import supervisor.cli.run.Stdout;
import supervisor.launch.BeforeStart;
import supervisor.launch.JarCheck;
import supervisor.launch.LaunchException;
import supervisor.limits.Limits;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.log.Reasons;
import supervisor.pool.PoolSettings;
import supervisor.terminate.Mechanism;
import supervisor.worker.protocol.Frame;

/** {@code supervisor pool [OPTIONS] WORKER.jar [OPTIONS]}. */
final class PoolCommand {
    static final String HELP = """
            Usage: supervisor pool [OPTIONS] WORKER.jar [OPTIONS]

            Runs one call per input line through a pool of warm, isolated worker JVMs, and writes
            one JSON line per input line, in input order. WORKER.jar names its Task class in its
            manifest (Task-Class: ...). A call that hangs is cancelled, then its worker killed;
            a worker that crashes is replaced; every input line gets an answer.

            Options (before or after the jar):
              --workers N          worker JVMs (default: the number of CPUs)
              --timeout DURATION   per call (default: none)
              --grace DURATION     time a cancelled call has to stop before its worker is
                                   killed (default: 5s)
              --retries N          try again a call that timed out or whose worker crashed
                                   (default: 0; for idempotent work)
              --max-calls N        recycle a worker after N calls (default: never)
              --pipeline N         send a worker up to N calls before it has answered them,
                                   1 to 1024 (default: 1); many short calls go several times
                                   faster, but a call may wait behind a slow one in its worker
              --jvm-opt OPT        an option for every worker JVM (repeatable)
              --input FILE         read lines from FILE, read once: a file, a FIFO, /dev/stdin
                                   or <(...) (default: stdin)
              --output FILE        write answers to FILE, in an existing directory, not the
                                   input file, the jar or the config file (default: stdout)
              --shard I/N          only the lines whose 0-based index mod N is I
              --java PATH          the java for workers (default: JAVA_HOME's, else PATH's)
              --termination MECH   auto, cgroup or tree (see supervisor run --help)
              --startup-timeout D  time a worker has to start (default: 30s)
              --max-frame BYTES    the largest protocol frame, 1024 to 2147483583 (default:
                                   64 MiB); a longer input line is answered "protocol"
              --queue N            calls that may wait for a worker (default: 1024)
              --memory SIZE        cap each worker's memory (see supervisor run --help)
              --cpu-time DURATION  cap the CPU time of each worker process
              --sandbox            keep each worker from the system: a dynamic user, no
                                   network, a read-only view, its own process table (see
                                   supervisor run --help; --sandbox-user, --sandbox-network,
                                   --sandbox-filesystem, --sandbox-pids, --sandbox-rw and
                                   --sandbox-best-effort as there)
              --max-procs N        cap the processes and threads of each worker's tree
              --config FILE        read settings from FILE (see supervisor config --help)
              --report FILE        when the run is over, write a JSON report of it to FILE
                                   (replaced whole; also for a usage error): calls by status,
                                   workers started, restarts of each worker and why; the schema
                                   is in docs/report.md
              -v, --verbose        say more on stderr
              -h, --help           show this help

            Values (the same in options, SUPERVISOR_* variables and config files):
              DURATION  ASCII digits, optionally with a fraction, and a unit: ms, s, m, h or d
                        (500ms, 1.5s, 2m, 7d); a bare number means seconds; 0 to 1000d;
                        a timeout of 0 means none
              SIZE      ASCII digits and a unit: K, M, G or T, powers of 1024, alone or with B
                        or iB (512M, 512MB, 512MiB; also 512m, 2g); a bare number means bytes;
                        0 to 1024T, 0 means none; --memory is at least 32M (a JVM needs that)
              N, BYTES  ASCII digits, 0 to 2147483647 (--workers, --queue from 1,
                        --max-frame from 1024)

            No sign, exponent or white space; digits of other scripts are refused. A bad value
            is a usage error naming it.

            Input: UTF-8 text, one call per line; the call's input is the line without its
            newline; a blank line is a call with empty input.
            Output: {"line":1,"status":"ok","output":"...","attempts":1,"ms":12} per line, where
            status is ok, failed (the task threw; "error" names it), timeout ("timeout_ms", and
            "stack": the top frames of the worker's call thread at the timeout, when it sent them),
            crashed ("error" says how, "exit_status"), protocol (also for an input line longer
            than a frame: "input_bytes", "max_input_bytes") or unavailable (the call did not
            run: the pool is down, its workers stopped starting); an output that is not UTF-8 is
            written as "output_base64". Each answer is flushed as soon as it and the lines
            before it are answered, so a client may wait for it before writing its next line.
            A summary line ends stderr; a progress line shows while stderr is a terminal.

            Exit status:
              0          every call is ok
              1          some call is not ok, or the output could not be written or the
                         input read (a line names the failure)
              2          usage error; nothing runs
              125        internal error (an Error on one of its threads), a worker's sandbox
                         part cannot be had, or java cannot be
                         started; one line names it
              126        the worker jar cannot be used (not a jar, a directory, a FIFO, socket
                         or device, unreadable, no Task-Class), or its workers are not
                         ready (their task cannot be loaded); one line names it
              127        the worker jar does not exist
              130, 143   interrupted by SIGINT or SIGTERM: calls in flight are cancelled, every
                         line already answered is written, no worker is left
            """;

    /** The options that take a value. */
    static final List<String> VALUED = Configured.common("--workers", "--timeout", "--grace", "--retries", "--max-calls",
            "--pipeline", "--jvm-opt", "--java", "--termination", "--startup-timeout", "--max-frame", "--queue", "--memory",
            "--cpu-time", "--max-procs", "--sandbox", "--sandbox-user", "--sandbox-network", "--sandbox-filesystem",
            "--sandbox-pids", "--sandbox-rw", "--sandbox-best-effort", "--input", "--output", "--shard", "--report");

    static final List<String> FLAGS = List.of("--sandbox", "--sandbox-best-effort");

    private PoolCommand() {
    }

    static int run(List<String> args, PoolReport report) throws UsageException, HelpRequested, ConfigException {
        Args a = new Args(args, VALUED, FLAGS, HELP, "supervisor pool", Configured.reportSeen(report));
        if (a.jar == null) {
            throw new UsageException("missing the worker jar (usage: supervisor pool [OPTIONS] WORKER.jar)");
        }
        if (!a.rest.isEmpty() || !a.afterDashes.isEmpty()) {
            String extra = a.rest.isEmpty() ? "--" : a.rest.get(0);
            throw new UsageException("unexpected argument '" + extra + "' after the worker jar");
        }
        Path input = null;
        Path output = null;
        int shardIndex = 0;
        int shardCount = 1;
        for (String[] o : a.options) {
            switch (o[0]) {
                case "--input" -> input = Path.of(o[1]);
                case "--output" -> output = Path.of(o[1]);
                case "--shard" -> {
                    int slash = o[1].indexOf('/');
                    try {
                        shardIndex = Integer.parseInt(o[1].substring(0, slash));
                        shardCount = Integer.parseInt(o[1].substring(slash + 1));
                    } catch (RuntimeException e) {
                        shardCount = 0;
                    }
                    if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount) {
                        throw new UsageException("--shard: expected I/N with 0 <= I < N, not '" + o[1] + "'");
                    }
                }
                default -> {
                    // a setting, resolved below
                }
            }
        }
        Configured c = new Configured(a);
        report.to(c.report());
        checkInput(input);
        checkOutput(output);
        Path jar = Path.of(a.jar);
        c.ownFiles(report, output, input == null ? new Configured.Named("the standard input", Configured.STDIN)
                : Configured.Named.of("the input file", input), Configured.Named.of("the worker jar", jar));
        try {
            if (output == null) {
                Stdout.requireOpen("the answers", "write them with --output FILE, or discard them: >/dev/null");
            }
            // The first SIGINT or SIGTERM ends a read that blocks (a hung mount), as in run.
            BeforeStart.call("while checking the worker jar " + Printable.escape(jar.toString()),
                    () -> JarCheck.checkWorker(jar));
        } catch (LaunchException e) {
            Log.error(e.getMessage());
            report.pool(jar.toString(), c.settings.integer(Setting.WORKERS, Runtime.getRuntime().availableProcessors()));
            report.error(e.getMessage());
            report.end(Report.START_FAILED, e.status());
            report.write();
            return e.status();
        }
        Settings s = c.settings;
        int maxFrame = s.integer(Setting.MAX_FRAME, 64 << 20);
        if (maxFrame > Frame.MAX_MAX_LENGTH) {
            // Checked here, whichever source gave it (option, variable, config file): the pool
            // would only refuse it in each worker's thread, once workers run.
            throw new UsageException("--max-frame: " + maxFrame + " is above the protocol's maximum of "
                    + Frame.MAX_MAX_LENGTH + " bytes");
        }
        // No MBean: the platform MBean server's first use costs this JVM 6 MiB of RSS and 100-400 ms
        // of CPU beside the workers' start, for numbers its progress and summary lines already give.
        // This JVM starts nothing but the pool's workers (and its guardian): every orphan it adopts
        // is a worker's (see docs/termination.md).
        PoolSettings.Builder b = PoolSettings.builder(jar).workerOutput(Batch.workerOutput()).jmx(false).claimOrphans(true)
                .workers(s.integer(Setting.WORKERS, Runtime.getRuntime().availableProcessors()))
                .callTimeout(Duration.ofNanos(c.nanos(Setting.TIMEOUT)))
                .grace(Duration.ofNanos(c.nanos(Setting.GRACE)))
                .retries(s.integer(Setting.RETRIES, 0))
                .maxCallsPerWorker(s.integer(Setting.MAX_CALLS, 0))
                .pipeline(s.integer(Setting.PIPELINE, 1))
                .startupTimeout(Duration.ofNanos(Math.max(1, c.nanos(Setting.STARTUP_TIMEOUT))))
                .maxFrameBytes(maxFrame)
                .queueCapacity(s.integer(Setting.QUEUE, 1024))
                .termination(PoolSettings.Termination.valueOf(Mechanism.parse(s.get(Setting.TERMINATION)).name()));
        Limits limits = c.limits();
        b.memory(limits.memoryBytes()).cpuTime(Duration.ofNanos(limits.cpuNanos()))
                .maxProcesses(limits.maxProcs());
        b.sandbox(c.sandbox());
        b.java(s.get(Setting.JAVA).isEmpty() ? RunCommand.defaultJava() : s.get(Setting.JAVA));
        c.jvmOptions().forEach(b::jvmOption);
        PoolSettings settings;
        try {
            settings = b.build();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Batch batch = new Batch(new BatchOptions(settings, maxFrame, input, output, shardIndex, shardCount));
        SignalEvents.connect(batch::interrupt);
        int status;
        try {
            status = batch.run();
            batch.report(report, status);
        } catch (RuntimeException | Error e) {
            // A bug: one line and the exception's class, never a stack trace.
            Log.error("internal error: " + Reasons.of(e));
            report.error("internal error: " + Reasons.of(e));
            status = 125;
            report.end(Report.ERROR, status);
        }
        report.write();
        return status;
    }

    /**
     * A file, a pipe, a FIFO, /dev/stdin or a {@code <(...)}: anything readable but a directory.
     * Only checked, never opened here: opening a FIFO waits for its writer.
     */
    private static void checkInput(Path input) throws UsageException {
        if (input == null) {
            return;
        }
        if (Files.isDirectory(input)) {
            throw new UsageException("--input: " + Printable.quote(input.toString()) + " is a directory");
        }
        if (!Files.isReadable(input)) {
            throw new UsageException("--input: cannot read " + Printable.quote(input.toString())
                    + (Files.exists(input) ? " (permission denied)" : " (no such file)"));
        }
    }

    /** The output's directory must exist: a run of hours must not end in "No such file". */
    private static void checkOutput(Path output) throws UsageException {
        if (output == null) {
            return;
        }
        if (Files.isDirectory(output)) {
            throw new UsageException("--output: " + Printable.quote(output.toString()) + " is a directory");
        }
        Path dir = output.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new UsageException("--output: no such directory: " + Printable.quote(dir.toString()));
        }
        if (Files.exists(output) ? !Files.isWritable(output) : dir != null && !Files.isWritable(dir)) {
            throw new UsageException("--output: cannot write " + Printable.quote(output.toString()) + " (permission denied)");
        }
    }

}
