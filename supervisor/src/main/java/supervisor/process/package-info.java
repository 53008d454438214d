/**
 * The life of one supervised process, the same for every way a task starts: spawn, containment,
 * limits, guardian, stop, reap and release.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.process;
