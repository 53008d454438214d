/**
 * What every way of starting a task shares: checking a jar before anything starts, decoding how
 * a process ended, the statuses of a launch that failed, removing working directories.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.launch;
