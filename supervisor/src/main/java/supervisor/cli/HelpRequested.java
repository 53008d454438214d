package supervisor.cli;

/** The user asked for help: print it on stdout and exit 0. */
final class HelpRequested extends Exception {
    private static final long serialVersionUID = 1L;

    HelpRequested(String text) {
        super(text, null, false, false);
    }
}
