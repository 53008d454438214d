package supervisor.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Live threads of this JVM, all of them: {@link Thread#activeCount()} sees only the caller's thread
 * group, which leaves out the JDK's process reaper threads (system group) that every live
 * {@link Process} costs.
 */
public final class Threads {
    /** The threads of a worker pool: its slots, timer and killer, and each worker's reader and stderr pump. */
    public static final Pattern POOL = Pattern.compile("supervisor-(pool-.*|w\\d.*)");

    private Threads() {
    }

    public static int count() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /** The names of the live threads that match {@code names}, sorted. */
    public static Set<String> named(Pattern names) {
        return Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
                .map(ThreadInfo::getThreadName).filter(n -> names.matcher(n).matches())
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
