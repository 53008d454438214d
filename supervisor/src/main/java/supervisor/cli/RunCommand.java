package supervisor.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import supervisor.config.ConfigException;
import supervisor.config.Setting;
import supervisor.launch.TaskSpec;
import supervisor.log.Log;
import supervisor.run.Adoption;
import supervisor.run.RunOptions;
import supervisor.run.RunSession;
import supervisor.terminate.Mechanism;

/** {@code supervisor run [OPTIONS] TASK.jar [OPTIONS] [-- TASK-ARGS...]}. */
final class RunCommand {
    static final String HELP = """
            Usage: supervisor run [OPTIONS] TASK.jar [OPTIONS] [-- TASK-ARGS...]

            Runs TASK.jar in its own JVM (java -jar), and stops it and every process it started
            when the timeout expires or the supervisor is told to stop: SIGTERM first, so that
            shutdown hooks run, then SIGKILL to the whole tree after the grace period.
            The task reads the supervisor's stdin and writes its stdout and stderr directly.
            The supervisor's own messages go to stderr, each line starting with "supervisor: ".

            Options (before or after the jar):
              --timeout DURATION   stop the task this long after it started (default: none)
              --grace DURATION     time between SIGTERM and SIGKILL (default: 5s)
              --jvm-opt OPT        an option for the task JVM, before -jar (repeatable)
              --java PATH          the java to run the task with (default: the supervisor's)
              --termination MECH   auto, cgroup or tree: how the task's processes are held and
                                   killed (default: auto, a cgroup where one is writable)
              --config FILE        read settings from FILE (see config/supervisor.properties);
                                   the command line wins over SUPERVISOR_* variables, which win
                                   over the file
              -v, --verbose        say more on stderr (the mechanism, kill timings)
              -h, --help           show this help

            DURATION is a number with a unit of ms, s, m or h (500ms, 1.5s, 2m); a bare number
            means seconds; a timeout of 0 means none, a grace of 0 means SIGKILL at once. Everything after the first -- goes to the task as it is.

            Exit status:
              the task's own     the task ended by itself (0-255)
              128+N              the task died of signal N that the supervisor did not send
                                 (137 for SIGKILL from elsewhere, 134 when a JVM crashes)
              124                the timeout expired and the task was stopped
              125                the supervisor itself failed (e.g. java cannot be started)
              126                the jar cannot be run (not a jar, a directory, unreadable,
                                 no Main-Class)
              127                the jar does not exist
              2                  usage error
              130, 143, 129      the supervisor got SIGINT, SIGTERM or SIGHUP and stopped the task
                                 (a second such signal kills the task at once)
            """;

    private RunCommand() {
    }

    static RunOptions parse(List<String> args, Adoption adoption)
            throws UsageException, HelpRequested, ConfigException {
        Args a = new Args(args, Configured.common("--timeout", "--grace", "--jvm-opt", "--java", "--termination"),
                HELP, "supervisor run");
        if (!a.rest.isEmpty()) {
            throw new UsageException("unexpected argument '" + a.rest.get(0) + "' after the task jar: "
                    + "task arguments go after --, as in: supervisor run " + a.jar + " -- " + a.rest.get(0));
        }
        if (a.jar == null) {
            throw new UsageException("missing the task jar (usage: supervisor run [OPTIONS] TASK.jar [-- ARGS...])");
        }
        Configured c = new Configured(a);
        String java = c.settings.get(Setting.JAVA);
        TaskSpec spec = new TaskSpec(java.isEmpty() ? TaskSpec.defaultJava() : java, c.jvmOptions(),
                Path.of(a.jar), a.afterDashes, Map.of());
        return new RunOptions(spec, c.nanos(Setting.TIMEOUT), c.nanos(Setting.GRACE),
                Mechanism.parse(c.settings.get(Setting.TERMINATION)), adoption);
    }

    static int run(List<String> args, Adoption adoption) throws UsageException, HelpRequested, ConfigException {
        RunOptions options = parse(args, adoption);
        Log.trace("parsed");
        return new RunSession(options).run();
    }
}
