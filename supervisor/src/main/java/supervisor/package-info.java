/**
 * Public API: {@link supervisor.SupervisorException}, the root of the library's exceptions. The
 * rest of the API is in {@code supervisor.pool}, {@code supervisor.runner},
 * {@code supervisor.ztexec} and, in module {@code worker-stub}, {@code supervisor.worker}.
 */
package supervisor;
