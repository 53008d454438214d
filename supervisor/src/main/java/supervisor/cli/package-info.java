/**
 * The command line: {@code supervisor run}, {@code pool} and {@code config}, their options and
 * exit statuses. {@link supervisor.cli.Main} is the launcher's entry point; it maps the library's
 * log messages to one-line {@code supervisor: } messages on stderr.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli;
