/**
 * {@code supervisor pool} on the command line: input lines in, one JSON line per call out, a
 * progress and a summary line on stderr. Built on {@link supervisor.pool.WorkerPool}.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.cli.batch;
