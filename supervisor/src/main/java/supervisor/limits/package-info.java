/**
 * Memory, CPU time, process and output limits of a task: applied through cgroup controllers or
 * rlimits and JVM options, and, once the task ended, which one ended it. Library users set limits
 * on {@link supervisor.pool.PoolSettings.Builder}.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.limits;
