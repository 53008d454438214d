/**
 * {@code supervisor run}: one task from start to exit status, driven by one event loop.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli.run;
