package supervisor.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import supervisor.launch.LaunchException;

/**
 * The command that starts a supervised process through {@link #SCRIPT}: the shell joins the
 * cgroups and sets the rlimits on itself, arranges its standard streams, then execs the command,
 * so that nothing the command starts, however early, is outside them. Built field by field; the
 * script's positional arguments are made in one place, {@link #arguments()}.
 */
final class SpawnCommand {
    /**
     * The spawn: join the cgroups, set the rlimits, arrange the streams and the ignored signals,
     * then exec. Arguments, as {@link #arguments()} makes them: the number N of cgroup
     * directories, the N directories, RLIMIT_CPU seconds (0: none), RLIMIT_NPROC (0: none), the
     * {@link Streams} code, 1 when the task's environment has its own PWD (else the shell's is
     * unset), the signals to ignore ("-": none; "13 10": SIGPIPE and SIGUSR1), where the command
     * comes from ("-": the arguments that follow; "I:N": the variables
     * {@value ProcessSpec#ARGUMENT_VARIABLE}I to {@value ProcessSpec#ARGUMENT_VARIABLE}N, which are
     * then unset from 1 to N), then the command. A failure here happens before the command runs:
     * one line on stderr and status 125.
     *
     * <p>A signal ignored here stays ignored in the command (exec keeps SIG_IGN), which is how a
     * caller's {@code trap '' PIPE} reaches it through a JVM that resets what it handles. The
     * variables carry arguments byte for byte where the JVM's decoding of its own arguments would
     * not (bytes beyond ASCII in the C locale).
     */
    static final String SCRIPT = """
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
            [ "$5" = - ] || trap '' $5
            if [ "$6" = - ]; then
                shift 6
            else
                i=${6%:*} n=${6#*:}
                shift 6
                while [ "$i" -le "$n" ]; do
                    eval "set -- \\"\\$@\\" \\"\\$SUPERVISOR_ARG_$i\\""
                    i=$((i + 1))
                done
                while [ "$n" -gt 0 ]; do
                    unset "SUPERVISOR_ARG_$n"
                    n=$((n - 1))
                done
            fi
            exec "$@"
            """;

    /** What the script does with the standard streams before the exec. */
    enum Streams {
        /** As the spawner set them up (inherited, pipes, a file). */
        AS_GIVEN("0"),
        /** A pool worker: stdout moves to fd 3 (the protocol), fd 1 is joined to stderr. */
        WORKER("1"),
        /** A detached task: stdin from /dev/null, stdout and stderr to the output file on fd 4. */
        DETACHED("2");

        private final String code;

        Streams(String code) {
            this.code = code;
        }
    }

    /** The program as an absolute path: a missing or non-executable java is the supervisor's failure (125). */
    static String program(String program) throws LaunchException {
        Path path;
        if (program.contains("/")) {
            path = Path.of(program);
        } else {
            path = Helpers.find(program).map(Path::of).orElse(null);
            if (path == null) {
                throw LaunchException.supervisorFailed("cannot start " + program + ": not found on PATH");
            }
        }
        if (!Files.exists(path)) {
            throw LaunchException.supervisorFailed("cannot start " + program + ": no such file");
        }
        if (Files.isDirectory(path) || !Files.isExecutable(path)) {
            throw LaunchException.supervisorFailed("cannot start " + program + ": not executable");
        }
        return path.toString();
    }

    /** A working directory the process can be started in: a 125 naming why not. */
    static void checkWorkdir(Path dir) throws LaunchException {
        try {
            if (!Files.readAttributes(dir, BasicFileAttributes.class).isDirectory()) {
                throw LaunchException.supervisorFailed("working directory " + dir + ": not a directory");
            }
        } catch (NoSuchFileException e) {
            throw LaunchException.supervisorFailed("working directory " + dir + ": no such directory (deleted?)");
        } catch (IOException e) {
            throw LaunchException.supervisorFailed("working directory " + dir + ": " + e.getMessage());
        }
        if (!Files.isExecutable(dir)) {
            throw LaunchException.supervisorFailed("working directory " + dir + ": permission denied");
        }
    }

    private final List<String> command;
    private final List<Path> cgroups = new ArrayList<>();
    private long cpuSeconds;
    private int maxProcesses;
    private Streams streams = Streams.AS_GIVEN;
    private boolean keepPwd;
    private List<Integer> ignored = List.of();
    private int firstVariable;
    private int lastVariable;

    /**
     * @param command the program (an absolute path) and its arguments; empty when they come from
     *     variables ({@link #commandFromVariables})
     */
    SpawnCommand(List<String> command) {
        this.command = List.copyOf(command);
    }

    /** Joins {@code dir}'s cgroup (its {@code cgroup.procs}) before the exec. */
    SpawnCommand joinCgroup(Path dir) {
        cgroups.add(Objects.requireNonNull(dir));
        return this;
    }

    SpawnCommand joinCgroups(List<Path> dirs) {
        dirs.forEach(this::joinCgroup);
        return this;
    }

    /** RLIMIT_CPU in seconds (soft; the hard limit 2 s above); 0: none. */
    SpawnCommand cpuSeconds(long seconds) {
        this.cpuSeconds = seconds;
        return this;
    }

    /** RLIMIT_NPROC; 0: none. */
    SpawnCommand maxProcesses(int n) {
        this.maxProcesses = n;
        return this;
    }

    SpawnCommand streams(Streams s) {
        this.streams = Objects.requireNonNull(s);
        return this;
    }

    /** Keeps the PWD the environment gives (the task's own); else the shell's is unset. */
    SpawnCommand keepPwd(boolean keep) {
        this.keepPwd = keep;
        return this;
    }

    /** Signals the command starts with ignored (SIG_IGN), as their numbers. */
    SpawnCommand ignoreSignals(List<Integer> signals) {
        this.ignored = List.copyOf(signals);
        return this;
    }

    /**
     * The command's words come from the variables {@value ProcessSpec#ARGUMENT_VARIABLE}{@code first}
     * to {@value ProcessSpec#ARGUMENT_VARIABLE}{@code last}, after the words given (if any), and
     * variables 1 to {@code last} are unset before the exec. The program is then found in PATH by
     * the shell, as execvp would.
     */
    SpawnCommand commandFromVariables(int first, int last) {
        if (first < 1 || last < first) {
            throw new IllegalArgumentException("no such range of argument variables: " + first + " to " + last);
        }
        this.firstVariable = first;
        this.lastVariable = last;
        return this;
    }

    /** The script's arguments, in its order, the command last. */
    List<String> arguments() {
        if (command.isEmpty() && firstVariable == 0) {
            throw new IllegalStateException("no command to spawn");
        }
        List<String> args = new ArrayList<>();
        args.add(Integer.toString(cgroups.size()));
        cgroups.forEach(d -> args.add(d.toString()));
        args.add(Long.toString(cpuSeconds));
        args.add(Integer.toString(maxProcesses));
        args.add(streams.code);
        args.add(keepPwd ? "1" : "0");
        StringBuilder signals = new StringBuilder();
        ignored.forEach(n -> signals.append(signals.length() == 0 ? "" : " ").append(n));
        args.add(signals.length() == 0 ? "-" : signals.toString());
        args.add(firstVariable == 0 ? "-" : firstVariable + ":" + lastVariable);
        args.addAll(command);
        return args;
    }

    /** {@code sh -c SCRIPT supervisor-spawn ARGUMENTS}: the spawn as a command of its own. */
    List<String> shell() {
        List<String> sh = new ArrayList<>(List.of(Helpers.SH, "-c", SCRIPT, "supervisor-spawn"));
        sh.addAll(arguments());
        return sh;
    }
}
