package supervisor.cli;

import java.util.List;
import supervisor.cli.timeout.Timeout;

/**
 * {@code supervisor timeout [OPTION] DURATION COMMAND [ARG]...}: GNU timeout's command line,
 * statuses and messages, with the whole tree of the command stopped (see
 * {@link supervisor.cli.timeout.Timeout} and docs/timeout.md). The launcher answers to the name
 * {@code timeout} the same way.
 */
final class TimeoutCommand {
    /**
     * The help, for {@code supervisor timeout}; under the name {@code timeout} "supervisor
     * timeout" reads as the name the program was invoked as. GNU's text, but where the
     * supervisor's behaviour differs (the whole tree, {@code --foreground}, what is left running).
     */
    static final String HELP = """
            Usage: supervisor timeout [OPTION] DURATION COMMAND [ARG]...
              or:  supervisor timeout [OPTION]
            Start COMMAND, and kill it if still running after DURATION.
            Unlike GNU timeout, the signal goes to COMMAND and to every process it started,
            however it hid (a session of its own, a double fork), and nothing COMMAND started
            is left running once it has ended.

            Mandatory arguments to long options are mandatory for short options too.
                  --preserve-status
                             exit with the same status as COMMAND, even when the
                               command times out
                  --foreground
                             keep COMMAND in the caller's session and process group,
                               so that it may read from the TTY and get TTY signals;
                               its children are timed out all the same
              -k, --kill-after=DURATION
                             also send a KILL signal if COMMAND is still running
                               this long after the initial signal was sent
              -s, --signal=SIGNAL
                             specify the signal to be sent on timeout;
                               SIGNAL may be a name like 'HUP' or a number;
                               see 'kill -l' for a list of signals
              -v, --verbose  diagnose to stderr any signal sent upon timeout
                  --help        display this help and exit
                  --version     output version information and exit

            DURATION is a floating point number with an optional suffix:
            's' for seconds (the default), 'm' for minutes, 'h' for hours or 'd' for days.
            A duration of 0 disables the associated timeout.

            Upon timeout, send the TERM signal to COMMAND and every process it started, if
            no other SIGNAL specified, then CONT. The TERM signal kills any process that does
            not block or catch that signal. It may be necessary to use the KILL signal, since
            this signal can't be caught. HUP, INT and TERM sent to timeout are passed on the
            same way. When COMMAND ends by itself, whatever it left running gets SIGNAL, and
            KILL after the -k DURATION (1 second without -k).

            EXIT status:
              124  if COMMAND times out, and --preserve-status is not specified
              125  if the timeout command itself fails
              126  if COMMAND is found but cannot be invoked
              127  if COMMAND cannot be found
              137  if COMMAND (or timeout itself) is sent the KILL (9) signal (128+9)
              -    the exit status of COMMAND otherwise

            No file is written and nothing is said unless asked (-v). Each call costs the
            start of a JVM: about 130 ms more than GNU timeout's on a 2-CPU machine, which
            adds under 1 ms (benchmarks/timeout.sh). What differs from GNU timeout, and why:
            docs/timeout.md.
            """;

    private TimeoutCommand() {
    }

    /** "timeout (supervisor) VERSION", as GNU's first line names the program and its package. */
    static String version() {
        return "timeout (supervisor) " + Main.version() + "\n";
    }

    /** Runs the command line and ends this process with its status (or its command's signal). */
    static void main(List<String> args) {
        Timeout.exit(Timeout.run(args, HELP, version(), Main.class.getName()));
    }
}
