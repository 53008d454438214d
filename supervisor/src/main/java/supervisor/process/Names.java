package supervisor.process;

import supervisor.platform.Cgroups;

/**
 * The one format of the marker every supervised process carries in its environment
 * ({@code SUPERVISOR_TASK=sv-<16 hex digits>}): random, never derived from a pid, which a
 * container gives every supervisor alike and the kernel reuses.
 */
public final class Names {
    private Names() {
    }

    public static String marker() {
        return "sv-" + Cgroups.randomName();
    }
}
