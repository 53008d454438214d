/**
 * systemd integration: sd_notify readiness and status, and the watchdog.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli.service;
