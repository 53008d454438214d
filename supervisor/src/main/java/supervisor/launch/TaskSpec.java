package supervisor.launch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What to run: {@code java [jvmOptions] -jar jar [args]}, with extra environment entries.
 * Immutable.
 */
public record TaskSpec(String java, List<String> jvmOptions, Path jar, List<String> args,
                       Map<String, String> environment) {

    public TaskSpec {
        jvmOptions = List.copyOf(jvmOptions);
        args = List.copyOf(args);
        environment = Map.copyOf(environment);
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
