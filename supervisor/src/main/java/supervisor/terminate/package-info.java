/**
 * How a task's whole process tree is held and killed: a cgroup leaf ({@link
 * supervisor.terminate.CgroupTerminator}), the tree found through /proc, frozen and rescanned
 * ({@link supervisor.terminate.TreeTerminator}), or, where there is no /proc, the task and its
 * process group alone ({@link supervisor.terminate.PortableTerminator}). One
 * {@link supervisor.process.SupervisedProcess} holds one of them and is its only user; the
 * guardian that kills the tree should the supervisor die is {@code supervisor.process.Guardian}.
 * Library users choose the mechanism with {@link supervisor.pool.PoolSettings.Termination}.
 *
 * <p>Internal, not an API: its classes are public only for the other packages of supervisor,
 * and may change or go without notice.
 */
package supervisor.terminate;
