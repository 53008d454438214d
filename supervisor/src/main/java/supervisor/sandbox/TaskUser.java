package supervisor.sandbox;

import java.util.Objects;

/**
 * Who a sandboxed task runs as: the supervisor's own user, a user allocated for the run alone
 * (systemd's {@code DynamicUser=}: a uid and gid from 61184 to
 * 65519 (as systemd), held by a lock for as long as the task's processes may live), or a
 * named user of the system, its primary group and no supplementary group. Any other than the
 * supervisor's needs root.
 */
public final class TaskUser {
    /** The supervisor's own user (with no_new_privs and, as root, no capabilities under a sandbox). */
    public static final TaskUser SUPERVISOR = new TaskUser(null);
    /** A uid of its own for each run. */
    public static final TaskUser DYNAMIC = new TaskUser("");

    private final String name; // null: the supervisor's; "": dynamic

    private TaskUser(String name) {
        this.name = name;
    }

    /** A user of the system by name, or by number ({@code 1001}, {@code 1001:1001} for uid:gid). */
    public static TaskUser named(String name) {
        if (Objects.requireNonNull(name).isEmpty() || name.equals("dynamic") || name.equals("none")) {
            throw new IllegalArgumentException("not a user's name: '" + name + "'");
        }
        return new TaskUser(name);
    }

    /** "none" (the supervisor's), "dynamic", or a user's name or number, as in a setting. */
    public static TaskUser parse(String value) {
        return switch (value) {
            case "none" -> SUPERVISOR;
            case "dynamic" -> DYNAMIC;
            default -> named(value);
        };
    }

    /** The user's name as given; null for the supervisor's or a dynamic user. */
    public String name() {
        return name == null || name.isEmpty() ? null : name;
    }

    @Override
    public String toString() {
        return name == null ? "none" : name.isEmpty() ? "dynamic" : name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskUser t && Objects.equals(name, t.name);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(name);
    }
}
