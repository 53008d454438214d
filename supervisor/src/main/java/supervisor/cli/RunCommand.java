package supervisor.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import supervisor.cli.config.ConfigException;
import supervisor.cli.config.Setting;
import supervisor.cli.report.RunReport;
import supervisor.cli.run.RunOptions;
import supervisor.cli.run.RunSession;
import supervisor.cli.service.HealthFile;
import supervisor.cli.service.Readiness;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.platform.Signal;
import supervisor.process.ProcessSpec;
import supervisor.terminate.Mechanism;

/**
 * {@code supervisor run [OPTIONS] TASK.jar [OPTIONS] [-- TASK-ARGS...]}, or {@code -- PROGRAM [ARGS...]}, or
 * the task a config file names ({@code jar}, {@code program}, {@code task-args}: a service's
 * /etc/supervisor/NAME.conf).
 */
final class RunCommand {
    static final String TASK_JAVA_PROPERTY = "supervisor.task.java";
    static final String HELP = """
            Usage: supervisor run [OPTIONS] TASK.jar [OPTIONS] [-- TASK-ARGS...]
                   supervisor run [OPTIONS] -- PROGRAM [ARGS...]
                   supervisor run [OPTIONS] --config FILE

            Runs TASK.jar in its own JVM (java -jar), or any PROGRAM (found in PATH as a shell
            finds it: a start script, java -cp ..., a native program), and stops it and every process it started
            when the timeout expires or the supervisor is told to stop: SIGTERM first, so that
            shutdown hooks run, then SIGKILL to the whole tree after the grace period.
            The task reads the supervisor's stdin and writes its stdout and stderr directly.
            The supervisor's own messages go to stderr, each line starting with "supervisor: ".

            Options (before or after the jar):
              --timeout DURATION   stop the task this long after it started (default: none)
              --grace DURATION     time between SIGTERM and SIGKILL (default: 5s)
              --jvm-opt OPT        an option for the task JVM, before -jar (repeatable; jar only)
              --java PATH          the java to run the task with (default: JAVA_HOME's, else
                                   PATH's; jar only)
              --termination MECH   auto, cgroup or tree: how the task's processes are held and
                                   killed (default: auto, a cgroup where one is writable)
              --kill-mode MODE     tree (default): the stop signal goes to every process of the
                                   task, which all get the grace, also what the task leaves
                                   running when it exits (systemd's KillMode=control-group);
                                   task: to the task and its process group, and what is left
                                   when the task exits is killed at once (KillMode=mixed)
              --wait-descendants   when the task exits, wait for what it left running to exit
                                   by itself instead of stopping it (as PID 1 of a container:
                                   tini's and dumb-init's "wait for all children"); the
                                   timeout and signals still stop it all; the status stays
                                   the task's (--wait-descendants=no: stop them, the default)
              --stop-signal SIG    the signal that asks the task to stop (default: TERM)
              --ready MODE         when the task is ready, so that systemd hears READY=1, and
                                   healthy, so that the watchdog beats: start (default: when
                                   it runs), notify (it says READY=1 on the NOTIFY_SOCKET it is
                                   given; its READY=1 and STATUS= are passed on, nothing else),
                                   tcp:PORT (a connection to 127.0.0.1:PORT succeeds), or
                                   file:PATH (the file exists; relative: in the task's
                                   working directory)
              --ready-timeout DURATION
                                   stop the task (status 120) if it is not ready this long
                                   after it started (default: 0, no limit)
              --health-file FILE   keep the task's state in FILE for a probe that runs a
                                   command (supervisor probe, a Kubernetes exec probe):
                                   ready once --ready passes, and a beat every second while
                                   the task is alive, not frozen and (once ready) passing
                                   the --ready probe; FILE is replaced whole each time and
                                   removed at the end (see docs/kubernetes.md)
              --private-tmp        give the task a private directory as TMPDIR and
                                   java.io.tmpdir, removed with everything in it when the
                                   task's processes are gone (--private-tmp=no: none, the
                                   default)
              --sandbox            keep the task from the system (needs root for all of it;
                                   see docs/security.md): a dynamic user of its own, no
                                   supplementary groups, no_new_privs, no network but its own
                                   loopback, a read-only view of the files but its working
                                   directory (--workdir, --temp-workdir) and private tmp
                                   (/home and /root hidden), its own process table.
                                   A part the machine cannot give refuses the run (125)
              --sandbox-user USER  none, dynamic, or a user's name or uid (no_new_privs always)
              --sandbox-network host|private
              --sandbox-filesystem host|read-only
              --sandbox-pids host|private
                                   each part on its own; with --sandbox, its value wins
              --sandbox-rw PATHS   more paths the read-only view leaves writable (spaces apart)
              --sandbox-best-effort
                                   run without a part the machine cannot give, said on stderr
              --no-thread-dump     no thread dump of the task's JVMs; by default (also
                                   --thread-dump) one is written at a timeout before SIGTERM,
                                   and before SIGKILL when a stop asked for by a signal
                                   outlives its grace (see docs/diagnostics.md)
              --dump-dir DIR       write thread dumps in DIR (default: the working directory)
              --memory SIZE        cap the task's memory (512M, 2G): a cgroup's memory limit
                                   where one is writable, else the task JVM's heap, metaspace
                                   and direct memory only (then native memory is not capped)
              --cpu-time DURATION  cap the CPU time of each of the task's processes (RLIMIT_CPU)
              --max-procs N        cap the processes and threads of the task's tree: a pids
                                   cgroup where one is writable, else RLIMIT_NPROC, which counts
                                   all of this user's processes (and does not bind root)
              --max-output SIZE    cap the task's stdout plus stderr; output up to the cap is
                                   passed on whole, then the task is stopped
              --clear-env          the task gets an empty environment, plus PATH=/usr/local/bin:
                                   /usr/bin:/bin and what --env and --pass-env name
              --env KEY=VALUE      set a variable in the task's environment (repeatable)
              --pass-env KEY       with --clear-env, keep this variable (repeatable)
              --workdir DIR        run the task in DIR
              --temp-workdir       run the task in a fresh private directory, removed after
              --keep-workdir       with --temp-workdir, keep the directory (its path is printed)
              --config FILE        read settings from FILE (see config/supervisor.properties);
                                   the command line wins over SUPERVISOR_* variables, which win
                                   over the file. FILE may name the task, used when the command
                                   line names none: jar = PATH, or program = PROGRAM ARGS...,
                                   and task-args = ARGS... (words split at spaces, no quotes)
              --report FILE        when the run is over, write a JSON report of it to FILE
                                   (replaced whole; also for a usage error): outcome, status,
                                   signals sent and when, processes killed, CPU time and peak
                                   memory of the task's tree, limits hit, crash log; the schema
                                   is in docs/report.md
              -v, --verbose        say more on stderr (the mechanism, kill timings), and end
                                   with what the task's tree consumed:
                                   "consumed 1.23 s CPU time, 48.2M memory peak"
              -h, --help           show this help

            Values (the same in options, SUPERVISOR_* variables and config files):
              DURATION  ASCII digits, optionally with a fraction, and a unit: ms, s, m, h or d
                        (500ms, 1.5s, 2m, 7d); a bare number means seconds; 0 to 1000d;
                        a timeout of 0 means none, a grace of 0 means SIGKILL at once
              SIZE      ASCII digits and a unit: K, M, G or T, powers of 1024, alone or with B
                        or iB (512M, 512MB, 512MiB; also 512m, 2g); a bare number means bytes;
                        0 to 1024T, 0 means none; --memory is at least 32M (a JVM needs that)
              N         ASCII digits, 0 to 2147483647

            No sign, exponent or white space; digits of other scripts are refused. A bad value
            is a usage error naming it. Everything after the first -- goes to the task as it is.

            Exit status:
              the task's own     the task ended by itself (0-255)
              128+N              the task died of signal N that the supervisor did not send
                                 (137 for SIGKILL from elsewhere, 134 when a JVM crashes)
              124                the timeout expired and the task was stopped
              120                the task was not ready within --ready-timeout and was stopped
              125                the supervisor itself failed (e.g. java cannot be started),
                                 or a sandbox part cannot be had (one line names it)
              126                the jar cannot be run (not a jar, a directory, a FIFO, socket
                                 or device, unreadable, a symlink loop, no Main-Class), or
                                 the program is not executable
              127                the jar does not exist, or the program is not found
              121                the task went over its memory limit
              122                the task went over its CPU time limit
              123                the task went over its output limit
              2                  usage error
              130, 143, 129      the supervisor got SIGINT, SIGTERM or SIGHUP and stopped the task
                                 (a second such signal kills the task at once; one that
                                 comes before the task started starts nothing)
            """;

    /** The options that take a value (--private-tmp, --thread-dump, --wait-descendants also as flags). */
    static final List<String> VALUED = Configured.common("--timeout", "--grace", "--jvm-opt", "--java", "--termination",
            "--kill-mode", "--stop-signal", "--ready", "--ready-timeout", "--health-file", "--private-tmp", "--thread-dump", "--dump-dir",
            "--wait-descendants", "--sandbox", "--sandbox-user", "--sandbox-network", "--sandbox-filesystem",
            "--sandbox-pids", "--sandbox-rw", "--sandbox-best-effort",
            "--env", "--pass-env", "--workdir", "--memory", "--cpu-time", "--max-procs", "--max-output", "--report");
    static final List<String> FLAGS = List.of("--clear-env", "--temp-workdir", "--keep-workdir", "--private-tmp",
            "--wait-descendants", "--sandbox", "--sandbox-best-effort",
            "--thread-dump", "--no-thread-dump");

    private RunCommand() {
    }

    /** @param report given the report path as soon as it is known, so that a later usage error has it */
    static RunOptions parse(List<String> args, RunReport report)
            throws UsageException, HelpRequested, ConfigException {
        Args a = new Args(args, VALUED, FLAGS, HELP, "supervisor run", Configured.reportSeen(report));
        if (!a.rest.isEmpty()) {
            throw new UsageException("unexpected argument '" + a.rest.get(0) + "' after the task jar: "
                    + "task arguments go after --, as in: supervisor run " + a.jar + " -- " + a.rest.get(0));
        }
        Configured c = new Configured(a);
        report.to(c.report());
        // The task: the command line's, else the one the settings name (jar, program, task-args).
        String jarArg = a.jar;
        List<String> command = a.jar == null ? a.afterDashes : List.of();
        List<String> taskArgs = a.jar == null ? List.of() : a.afterDashes;
        if (a.jar == null && a.afterDashes.isEmpty()) {
            String jarSetting = c.settings.get(Setting.JAR);
            List<String> programSetting = Setting.wordsOf(c.settings.get(Setting.PROGRAM));
            List<String> argsSetting = Setting.wordsOf(c.settings.get(Setting.TASK_ARGS));
            if (!jarSetting.isEmpty() && !programSetting.isEmpty()) {
                throw new UsageException(c.where(Setting.JAR) + " and " + c.where(Setting.PROGRAM)
                        + " exclude each other: the task is a jar or a program");
            }
            if (!jarSetting.isEmpty()) {
                jarArg = jarSetting;
                taskArgs = argsSetting;
            } else if (!programSetting.isEmpty()) {
                command = new ArrayList<>(programSetting);
                command.addAll(argsSetting);
            } else if (!argsSetting.isEmpty()) {
                throw new UsageException(c.where(Setting.TASK_ARGS) + " without a task: set jar or program too");
            } else {
                throw new UsageException("missing the task: a jar, or a program after -- (usage: supervisor run [OPTIONS]"
                        + " TASK.jar [-- ARGS...] or supervisor run [OPTIONS] -- PROGRAM [ARGS...]; or jar = or"
                        + " program = in the config file)");
            }
        }
        boolean program = jarArg == null;
        if (program) {
            for (String[] o : a.options) {
                if (o[0].equals("--jvm-opt") || o[0].equals("--java")) {
                    throw new UsageException(o[0] + " goes with a task jar; a program takes its own options after"
                            + " -- (supervisor run -- " + command.get(0) + " ...)");
                }
            }
            c.ownFiles(report, null);
        } else {
            c.ownFiles(report, null, Configured.Named.of("the task jar", Path.of(jarArg)));
        }
        String java = c.settings.get(Setting.JAVA);
        Map<String, String> env = new LinkedHashMap<>();
        List<String> pass = new ArrayList<>();
        Path workdir = null;
        for (String[] o : a.options) {
            switch (o[0]) {
                case "--env" -> {
                    int eq = o[1].indexOf('=');
                    if (eq <= 0) {
                        throw new UsageException("--env: expected KEY=VALUE, not '" + o[1] + "'");
                    }
                    env.put(o[1].substring(0, eq), o[1].substring(eq + 1));
                }
                case "--pass-env" -> pass.add(o[1]);
                case "--workdir" -> {
                    if (o[1].isEmpty()) {
                        throw new UsageException("--workdir: an empty path (expected a directory)");
                    }
                    workdir = Path.of(o[1]);
                    if (!Files.isDirectory(workdir)) {
                        throw new UsageException("--workdir: " + o[1] + " is not a directory");
                    }
                }
                default -> {
                    // a setting
                }
            }
        }
        boolean temp = a.flags.contains("--temp-workdir");
        if (temp && workdir != null) {
            throw new UsageException("--workdir and --temp-workdir exclude each other");
        }
        if (a.flags.contains("--keep-workdir") && !temp) {
            throw new UsageException("--keep-workdir goes with --temp-workdir");
        }
        if (!pass.isEmpty() && !a.flags.contains("--clear-env")) {
            throw new UsageException("--pass-env goes with --clear-env (without it the task gets the whole environment)");
        }
        Path jar = program ? null : Path.of(jarArg);
        ProcessSpec spec;
        if (program) {
            // Found in PATH when the run starts (ProgramCheck), as execvp would: 127, 126.
            spec = ProcessSpec.command(command);
        } else {
            // The jar as checked is the jar that runs: Path.of drops a trailing slash ("x.jar/"), which
            // java -jar would refuse with its own message and status 1 after the check had passed.
            List<String> main = new ArrayList<>(List.of("-jar", jar.toString()));
            main.addAll(taskArgs);
            spec = ProcessSpec.java(java.isEmpty() ? defaultJava() : java, c.jvmOptions(), main);
        }
        spec = spec
                .withEnvironment(env)
                .withLimits(c.limits())
                .withMechanism(Mechanism.parse(c.settings.get(Setting.TERMINATION)))
                .withClaimOrphans(true)
                .withPrivateTmp(c.settings.get(Setting.PRIVATE_TMP).equals("yes"))
                .withSandbox(c.sandbox())
                // What the tree consumed is counted for the report and the -v closing line only.
                .withAccounting(report.path() != null || c.settings.get(Setting.LOG_LEVEL).equals("debug"));
        Readiness readiness = Readiness.parse(c.settings.get(Setting.READY));
        if (readiness.kind() == Readiness.Kind.TCP && spec.sandbox().privateNetwork()) {
            // The probe connects to the host's 127.0.0.1, which a task in a network of its own never listens on.
            throw new UsageException(c.where(Setting.READY) + " " + c.settings.get(Setting.READY) + " needs the task on the"
                    + " host's network: with --sandbox, add --sandbox-network host");
        }
        if (readiness.kind() == Readiness.Kind.NOTIFY) {
            spec = spec.withNotifySocket(true);
        }
        if (spec.limits().maxOutputBytes() > 0) {
            spec = spec.withStdio(ProcessSpec.Stdio.PIPED_OUTPUT); // counted on its way through
        }
        if (a.flags.contains("--clear-env")) {
            spec = spec.withClearedEnvironment(pass);
        }
        if (temp) {
            spec = spec.withTempWorkdir(a.flags.contains("--keep-workdir"));
        } else if (workdir != null) {
            spec = spec.withWorkdir(workdir);
        }
        Path dumpDir = dumpDir(c);
        return new RunOptions(jar, spec, c.nanos(Setting.TIMEOUT), c.nanos(Setting.GRACE),
                Signal.number(c.settings.get(Setting.STOP_SIGNAL)),
                c.settings.get(Setting.KILL_MODE).equals("tree"), readiness, c.nanos(Setting.READY_TIMEOUT), dumpDir,
                c.settings.get(Setting.WAIT_DESCENDANTS).equals("yes"), healthFile(c, readiness, report));
    }

    /**
     * The health file, opened last, once every other option has passed: its directory is held
     * open from here to the end of the run. Null for none. Not one of the files the supervisor
     * reads, nor the report, since it would replace them.
     */
    private static HealthFile healthFile(Configured c, Readiness readiness, RunReport report) throws UsageException {
        String value = c.settings.get(Setting.HEALTH_FILE);
        if (value.isEmpty()) {
            return null;
        }
        Path path = Path.of(value);
        if (report.path() != null && Configured.sameFile(path, report.path())) {
            throw new UsageException(c.where(Setting.HEALTH_FILE) + ": " + Printable.quote(value)
                    + " is the report, which the health file would replace; name another file");
        }
        try {
            return HealthFile.open(path, readiness.meaning());
        } catch (IllegalArgumentException e) {
            throw new UsageException(c.where(Setting.HEALTH_FILE) + ": " + e.getMessage());
        }
    }

    /**
     * Where thread dumps go (absolute: the supervisor's working directory by default), or null
     * with --no-thread-dump. A directory that is not there is a usage error now; one that cannot
     * be written when a dump is due is said then, and the stop goes on.
     */
    private static Path dumpDir(Configured c) throws UsageException {
        if (!c.settings.get(Setting.THREAD_DUMP).equals("yes")) {
            return null;
        }
        String dir = c.settings.get(Setting.DUMP_DIR);
        Path path = Path.of(dir).toAbsolutePath();
        if (!dir.isEmpty() && !Files.isDirectory(path)) {
            throw new UsageException(c.where(Setting.DUMP_DIR) + ": " + Printable.quote(dir)
                    + " is not a directory");
        }
        return path;
    }

    /**
     * The java tasks and workers get when no {@code --java} is given: the one the launcher found
     * (JAVA_HOME, else PATH), which it names in {@code -Dsupervisor.task.java} when it runs this
     * supervisor on another JVM (see scripts/supervisor, SUPERVISOR_JVM); else this JVM's own.
     */
    static String defaultJava() {
        String java = System.getProperty(TASK_JAVA_PROPERTY, "");
        return java.isEmpty() ? Path.of(System.getProperty("java.home"), "bin", "java").toString() : java;
    }

    static int run(List<String> args, RunReport report) throws UsageException, HelpRequested, ConfigException {
        RunOptions options = parse(args, report);
        Log.trace("parsed");
        return new RunSession(options, report).run();
    }
}
