package supervisor.pool;

import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMException;
import javax.management.ObjectName;
import supervisor.log.Log;
import supervisor.log.Reasons;

/**
 * A pool's {@link WorkerPoolMXBean}, registered on the platform MBean server for as long as the
 * pool is open. Reads the pool's counters when asked; holds nothing of its own.
 */
final class PoolMBean implements WorkerPoolMXBean {
    private static final String DOMAIN = "supervisor";
    /** Enough for any number of pools of one name a JVM could hold open. */
    private static final int MAX_SUFFIX = 10_000;

    /** A tool reads the four percentiles one after the other, while calls complete: one sort serves them. */
    private static final long LATENCY_REUSE_NANOS = 100_000_000;

    private final WorkerPool pool;
    final String name;
    final ObjectName objectName;
    private double[] latencies; // guarded by this
    private long latenciesAt; // guarded by this

    private PoolMBean(WorkerPool pool, String name, ObjectName objectName) {
        this.pool = pool;
        this.name = name;
        this.objectName = objectName;
    }

    /**
     * Registers the pool as {@code supervisor:type=WorkerPool,name=BASE}, or {@code BASE-2},
     * {@code BASE-3}... when an open pool of this JVM has the name already.
     *
     * @return the registered bean, or null (said in a warning) when the MBean server refused it
     */
    static PoolMBean register(WorkerPool pool, String base) {
        for (int n = 1; n <= MAX_SUFFIX; n++) {
            String name = n == 1 ? base : base + "-" + n;
            PoolMBean bean;
            try {
                bean = new PoolMBean(pool, name, objectName(name));
                ManagementFactory.getPlatformMBeanServer().registerMBean(bean, bean.objectName);
                return bean;
            } catch (InstanceAlreadyExistsException e) {
                continue;
            } catch (JMException | RuntimeException e) {
                Log.warn("cannot register pool " + name + " as an MBean: " + Reasons.of(e));
                return null;
            }
        }
        Log.warn("cannot register pool " + base + " as an MBean: " + MAX_SUFFIX + " pools of that name are open");
        return null;
    }

    /** The ObjectName of a pool of this name; the name quoted only if it holds a character ObjectName reserves. */
    static ObjectName objectName(String name) throws JMException {
        boolean plain = name.chars().noneMatch(c -> ",=:\"*?\\\n".indexOf(c) >= 0);
        return new ObjectName(DOMAIN + ":type=WorkerPool,name=" + (plain ? name : ObjectName.quote(name)));
    }

    void unregister() {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
        } catch (JMException | RuntimeException e) {
            Log.warn("cannot unregister the MBean " + objectName + ": " + Reasons.of(e));
        }
    }

    private synchronized double[] latencies() {
        long now = System.nanoTime();
        if (latencies == null || now - latenciesAt > LATENCY_REUSE_NANOS) {
            latencies = pool.counters.latencyPercentiles();
            latenciesAt = now;
        }
        return latencies;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public int getWorkers() {
        return pool.settings.workers;
    }

    @Override
    public int getWorkersAlive() {
        return pool.readyWorkers();
    }

    @Override
    public int getInFlight() {
        return pool.inFlight();
    }

    @Override
    public int getQueued() {
        return pool.queue.size();
    }

    @Override
    public long getSubmitted() {
        return pool.counters.submittedCount();
    }

    @Override
    public long getSucceeded() {
        return pool.counters.count(Outcome.SUCCEEDED);
    }

    @Override
    public long getTaskFailed() {
        return pool.counters.count(Outcome.TASK_FAILED);
    }

    @Override
    public long getTimedOut() {
        return pool.counters.count(Outcome.TIMED_OUT);
    }

    @Override
    public long getCrashed() {
        return pool.counters.count(Outcome.CRASHED);
    }

    @Override
    public long getProtocolErrors() {
        return pool.counters.count(Outcome.PROTOCOL);
    }

    @Override
    public long getCancelled() {
        return pool.counters.count(Outcome.CANCELLED);
    }

    @Override
    public long getRejected() {
        return pool.counters.rejectedCount();
    }

    @Override
    public long getRetried() {
        return pool.counters.retriedCount();
    }

    @Override
    public long getWorkerStarts() {
        return pool.counters.workerStarts();
    }

    @Override
    public long getWorkerRestarts() {
        return pool.counters.workerRestarts();
    }

    @Override
    public double getLatencyP50Millis() {
        return latencies()[0];
    }

    @Override
    public double getLatencyP90Millis() {
        return latencies()[1];
    }

    @Override
    public double getLatencyP99Millis() {
        return latencies()[2];
    }

    @Override
    public double getLatencyMaxMillis() {
        return latencies()[3];
    }

    @Override
    public String getState() {
        return pool.state();
    }

    @Override
    public long getFailedStarts() {
        return pool.governor().breaker().failedStarts();
    }

    @Override
    public long getKilledStarts() {
        return pool.governor().breaker().killedStarts();
    }

    @Override
    public String getLastStartFailure() {
        return pool.governor().breaker().lastFailure();
    }

    @Override
    public long getNextProbeMillis() {
        return pool.governor().breaker().nextProbeMillis();
    }
}
