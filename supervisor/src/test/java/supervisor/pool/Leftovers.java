package supervisor.pool;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;

/**
 * What a JVM holds: all its threads (ThreadMXBean, daemons included), its open descriptors
 * (/proc/self/fd) and its child processes, zombies included. A pool, once closed, must leave it
 * as it found it.
 */
record Leftovers(Set<String> threads, int fds, Set<Integer> children) {
    /**
     * JNA's own thread, not the pool's: started when JNA first frees native memory through its
     * cleaner, it ends 30 s (JNA's CLEANER_LINGER_TIME) after the last such memory was collected,
     * which takes a GC that an idle test JVM may not do. Counting it made a pool that had killed a
     * worker (the kill allocates through JNA) look as if it had left a thread.
     */
    private static final String JNA_CLEANER = "JNA Cleaner";

    static Leftovers now() {
        Set<String> threads = Arrays.stream(ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
                .map(ThreadInfo::getThreadName).filter(n -> !n.equals(JNA_CLEANER))
                .collect(Collectors.toCollection(TreeSet::new));
        String[] fds = new File("/proc/self/fd").list();
        int self = (int) ProcessHandle.current().pid();
        Set<Integer> children = new TreeSet<>();
        for (ProcStat p : ProcFs.scan()) {
            if (p.ppid() == self) {
                children.add(p.pid());
            }
        }
        return new Leftovers(threads, fds == null ? -1 : fds.length, children);
    }

    int threadCount() {
        return threads.size();
    }

    /** Waits until threads, descriptors and children are back to these (a descriptor or two of slack for the JDK's own). */
    void assertBackTo(Duration timeout) {
        if (!Await.within(timeout, () -> {
            Leftovers n = now();
            return n.threadCount() <= threadCount() && n.fds() <= fds() + 2 && children.containsAll(n.children());
        })) {
            Leftovers n = now();
            Set<String> newThreads = new TreeSet<>(n.threads());
            newThreads.removeAll(threads);
            Set<Integer> newChildren = new TreeSet<>(n.children());
            newChildren.removeAll(children);
            throw new AssertionError("left behind: threads " + threadCount() + " -> " + n.threadCount() + " " + newThreads
                    + ", fds " + fds + " -> " + n.fds() + ", new children " + newChildren);
        }
    }
}
