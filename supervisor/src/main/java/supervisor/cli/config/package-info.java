/**
 * Settings from the command line, SUPERVISOR_* variables and the config file, with their grammars
 * (durations, sizes, counts) and where each value came from.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli.config;
