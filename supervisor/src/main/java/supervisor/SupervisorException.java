package supervisor;

/**
 * The root of the exceptions of the library's own making: why a pool call did not return a
 * result ({@code supervisor.pool.PoolException} and its subclasses), why a task of a
 * {@code supervisor.runner.TaskRunner} could not start ({@code TaskStartException}). Unchecked:
 * the code a caller runs in a worker keeps its own checked exceptions, and these come on top.
 * A mistake in the caller's use of the API (a lambda that captures what cannot cross, a setting
 * out of range) is an {@link IllegalArgumentException} or {@link IllegalStateException} instead,
 * at once.
 */
public abstract class SupervisorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected SupervisorException(String message) {
        super(message);
    }

    protected SupervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
