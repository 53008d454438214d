package supervisor.testing;

import java.lang.management.ManagementFactory;

/**
 * Live threads of this JVM, all of them: {@link Thread#activeCount()} sees only the caller's thread
 * group, which leaves out the JDK's process reaper threads (system group) that every live
 * {@link Process} costs.
 */
public final class Threads {
    private Threads() {
    }

    public static int count() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }
}
