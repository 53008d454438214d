package supervisor.cli.timeout;

import java.util.List;

/**
 * What {@code timeout [OPTION] DURATION COMMAND [ARG]...} asks for.
 *
 * @param timeoutNanos DURATION; 0: no timeout; {@link GnuDuration#FOREVER} and more: never
 * @param killAfterNanos {@code -k}: KILL this long after the first signal; 0: never
 * @param signal {@code -s}: the signal sent when the time is up (TERM by default; 0 sends none)
 * @param preserveStatus {@code --preserve-status}: the command's status even when it timed out
 * @param foreground {@code --foreground}: the command stays in the caller's session and process
 *     group (its terminal), rather than in a session of its own
 * @param verbose {@code -v}: say each signal sent
 * @param commandIndex the index of COMMAND among the arguments after the program name
 * @param command COMMAND and its arguments
 * @param commandName COMMAND's bytes, as the messages quote it
 */
record TimeoutOptions(long timeoutNanos, long killAfterNanos, int signal, boolean preserveStatus, boolean foreground,
                      boolean verbose, int commandIndex, List<String> command, byte[] commandName) {
}
