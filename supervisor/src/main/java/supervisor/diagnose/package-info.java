/**
 * What a task was doing when it was stopped: a thread dump of each of its JVMs, taken through
 * HotSpot's attach mechanism, written to a file beside the run (see docs/diagnostics.md).
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.diagnose;
