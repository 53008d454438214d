package supervisor.cli.config;

/** A bad config file or environment value: exit status 2, the message says where and what. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
