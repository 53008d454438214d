/**
 * The command line: {@code supervisor run}, {@code pool} and {@code config}, their options and
 * exit statuses. {@link supervisor.cli.Main} is the launcher's entry point; it maps the library's
 * log messages to one-line {@code supervisor: } messages on stderr.
 *
 * <p>Everything that belongs to the command line sits under this package: {@code cli.run} (one
 * task from start to status), {@code cli.batch} (a file of inputs through a pool),
 * {@code cli.config} (options, variables and the config file), {@code cli.report} (JSON reports)
 * and {@code cli.service} (systemd: readiness, watchdog, notify). The library ({@code supervisor.process}, {@code pool}, {@code runner},
 * {@code terminate}, {@code limits}, ...) never imports any of them.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli;
