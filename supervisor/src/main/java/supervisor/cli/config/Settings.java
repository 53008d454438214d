package supervisor.cli.config;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import supervisor.log.Printable;
import supervisor.units.Durations;

/**
 * The effective settings and where each came from. Precedence: the command line, then the
 * environment (SUPERVISOR_KEY), then the config file (--config FILE, or SUPERVISOR_CONFIG), then
 * the built-in defaults. Immutable once loaded.
 */
public final class Settings {
    public static final String CONFIG_VARIABLE = "SUPERVISOR_CONFIG";

    private final Map<Setting, String> values = new EnumMap<>(Setting.class);
    private final Map<Setting, String> sources = new EnumMap<>(Setting.class);
    private Path file;

    private Settings() {
    }

    /**
     * @param commandLine the settings given as options, already checked by the command
     * @param configFile --config FILE, or null to use SUPERVISOR_CONFIG if set
     * @throws ConfigException for an unreadable file, an unknown key or a bad value anywhere
     */
    public static Settings load(Map<Setting, String> commandLine, Path configFile, Map<String, String> env)
            throws ConfigException {
        Settings s = new Settings();
        for (Setting setting : Setting.values()) {
            s.values.put(setting, setting.defaultValue);
            s.sources.put(setting, "default");
        }
        Path file = configFile;
        if (file == null && env.get(CONFIG_VARIABLE) != null && !env.get(CONFIG_VARIABLE).isEmpty()) {
            file = Path.of(env.get(CONFIG_VARIABLE));
        }
        if (file != null) {
            s.file = file;
            s.readFile(file);
        }
        for (Setting setting : Setting.values()) {
            String v = env.get(setting.environmentVariable());
            if (v != null) {
                try {
                    setting.check(blankTrimmed(v));
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(setting.environmentVariable() + ": " + e.getMessage());
                }
                s.put(setting, blankTrimmed(v), "environment " + setting.environmentVariable());
            }
        }
        commandLine.forEach((setting, v) -> s.put(setting, v, "command line"));
        return s;
    }

    private void readFile(Path file) throws ConfigException {
        String name = Printable.escape(file.toString());
        List<String> lines = ConfigFile.lines(file, name);
        // A setting given twice is a mistake (an edit that added a line instead of changing one):
        // "the last one wins" would run, say, another program than the one the reader sees first.
        Map<Setting, String> firstAt = new EnumMap<>(Setting.class);
        for (int i = 0; i < lines.size(); i++) {
            String line = blankTrimmed(lines.get(i));
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = name + ":" + (i + 1);
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(where + ": expected KEY = VALUE, not " + Printable.quote(line));
            }
            String key = blankTrimmed(line.substring(0, eq));
            String value = blankTrimmed(line.substring(eq + 1));
            Setting setting = Setting.byKey(key);
            if (setting == null) {
                throw new ConfigException(where + ": unknown setting " + Printable.quote(key));
            }
            String first = firstAt.putIfAbsent(setting, where);
            if (first != null) {
                throw new ConfigException(where + ": " + key + " is set again (first at line "
                        + first.substring(name.length() + 1) + "): one line per setting");
            }
            try {
                setting.check(value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(where + ": " + key + ": " + e.getMessage());
            }
            put(setting, value, where);
        }
    }

    /**
     * Without the spaces and tabs around it. Not String.trim(), which drops every control
     * character at either end: a NUL or an escape sequence must reach the check and be refused.
     */
    static String blankTrimmed(String v) {
        int start = 0;
        int end = v.length();
        while (start < end && (v.charAt(start) == ' ' || v.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (v.charAt(end - 1) == ' ' || v.charAt(end - 1) == '\t')) {
            end--;
        }
        return v.substring(start, end);
    }

    private void put(Setting s, String value, String source) {
        values.put(s, value);
        sources.put(s, source);
    }

    /** The config file read (--config FILE, else SUPERVISOR_CONFIG), or null for none. */
    public Path file() {
        return file;
    }

    public String get(Setting s) {
        return values.get(s);
    }

    public String source(Setting s) {
        return sources.get(s);
    }

    public long nanos(Setting s) {
        return Durations.parseNanos(get(s));
    }

    public int integer(Setting s, int whenEmpty) {
        String v = get(s);
        return v.isEmpty() ? whenEmpty : Integer.parseInt(v);
    }

    /** The JVM options, split on white space. */
    public List<String> jvmOptions() {
        String v = get(Setting.JVM_OPTS).trim();
        return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
    }

    /** "key = value   (source)" lines, for {@code supervisor config}. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Setting s : Setting.values()) {
            // Escaped: a newline in a value from the environment must not make a line of its own.
            b.append(String.format("%-16s = %-24s # %s%n", s.key, Printable.escape(get(s)), source(s)));
        }
        return b.toString();
    }
}
