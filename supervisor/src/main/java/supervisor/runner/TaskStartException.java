package supervisor.runner;

import supervisor.SupervisorException;

/**
 * A task could not be started: its program is missing or not executable, its working directory
 * or output file is unusable, or its containment or limits could not be set up. Nothing of it
 * runs, and nothing made for it is left. The message says which and why. Unchecked, as every
 * {@link SupervisorException}.
 */
public final class TaskStartException extends SupervisorException {
    private static final long serialVersionUID = 1L;

    public TaskStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
