/**
 * Service managers: systemd's sd_notify readiness, status and watchdog, and the health file that
 * probes which run a command read ({@code --health-file}, {@code supervisor probe}).
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli.service;
