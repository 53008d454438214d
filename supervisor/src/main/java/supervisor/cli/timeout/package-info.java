/**
 * {@code supervisor timeout}: GNU timeout's command line, statuses and messages (coreutils 9.1,
 * {@code src/timeout.c}), with the supervisor's containment: when the time is up the signal goes
 * to the command and every process it started, and nothing it started outlives it. What differs
 * from GNU timeout, and why, is in docs/timeout.md.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli.timeout;
