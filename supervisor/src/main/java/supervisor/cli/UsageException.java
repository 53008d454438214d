package supervisor.cli;

/** The command line is wrong: exit status 2, one line saying what is wrong. */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
