/**
 * How a task's whole process tree is held and killed: a cgroup leaf, or the tree found through
 * /proc (freeze, rescan, kill), and the guardian that kills it should the supervisor die. Library
 * users choose with {@link supervisor.pool.PoolSettings.Termination}.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.terminate;
