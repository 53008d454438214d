package supervisor.terminate;

import java.util.Locale;

/** Which mechanism holds a task's tree. {@link #AUTO} takes the best one this machine allows. */
public enum Mechanism {
    AUTO, CGROUP, TREE;

    public static Mechanism parse(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
