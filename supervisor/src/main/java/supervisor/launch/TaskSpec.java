package supervisor.launch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What to run: {@code java [jvmOptions] -jar jar [args]}, in which environment and directory.
 * Immutable.
 *
 * @param environment entries added to the task's environment
 * @param clearEnv start from an empty environment (plus a minimal PATH) instead of the supervisor's
 * @param passEnv with clearEnv, the variables of the supervisor's environment the task still gets
 * @param workdir the task's working directory; null for the supervisor's
 */
public record TaskSpec(String java, List<String> jvmOptions, Path jar, List<String> args,
                       Map<String, String> environment, boolean clearEnv, List<String> passEnv, Path workdir) {

    /** The PATH a task gets when its environment is cleared. */
    public static final String MINIMAL_PATH = "/usr/local/bin:/usr/bin:/bin";

    public TaskSpec {
        jvmOptions = List.copyOf(jvmOptions);
        args = List.copyOf(args);
        environment = Map.copyOf(environment);
        passEnv = List.copyOf(passEnv);
    }

    public TaskSpec(String java, List<String> jvmOptions, Path jar, List<String> args) {
        this(java, jvmOptions, jar, args, Map.of(), false, List.of(), null);
    }

    public TaskSpec withWorkdir(Path dir) {
        return new TaskSpec(java, jvmOptions, jar, args, environment, clearEnv, passEnv, dir);
    }

    public TaskSpec withJvmOptions(List<String> options) {
        return new TaskSpec(java, options, jar, args, environment, clearEnv, passEnv, workdir);
    }

    /** Fills a child's environment: the supervisor's, or only what was named, then the extras. */
    public void applyEnvironment(Map<String, String> target) {
        if (clearEnv) {
            target.clear();
            target.put("PATH", MINIMAL_PATH);
            for (String key : passEnv) {
                String value = System.getenv(key);
                if (value != null) {
                    target.put(key, value);
                }
            }
        }
        target.putAll(environment);
    }

    /** The java that runs this supervisor. */
    public static String defaultJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The task's own command line, without any wrapper. */
    public List<String> javaCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(args);
        return cmd;
    }
}
