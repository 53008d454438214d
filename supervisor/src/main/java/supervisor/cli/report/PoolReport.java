package supervisor.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report of {@code supervisor pool}: the calls by status, the workers, and how often each
 * worker was replaced and why. See {@code docs/report.md}.
 */
public final class PoolReport extends Report {
    /** Every line read was answered (status 0 or 1). */
    public static final String COMPLETED = "completed";
    /** The supervisor got SIGINT or SIGTERM and stopped (130, 143). */
    public static final String SIGNAL = "signal";
    /** The input could not be read or the output written (1). */
    public static final String IO_ERROR = "io_error";

    private String workerJar; // guarded by this
    private int workers;
    /** The statuses of {@code supervisor pool}'s answers, as its output lines name them. */
    public static final List<String> STATUSES = List.of("ok", "failed", "timeout", "crashed", "protocol", "unavailable");

    private Map<String, Object> calls = zeros();
    private long workerStarts;
    private long restarts;
    private List<Map<String, Object>> byWorker = List.of();

    public PoolReport(List<String> argv) {
        super("pool", argv);
    }

    public synchronized void pool(String workerJar, int workers) {
        this.workerJar = workerJar;
        this.workers = workers;
    }

    /** Lines answered (written), by status: see {@link #STATUSES}. */
    public synchronized void calls(Map<String, Long> byStatus) {
        Map<String, Object> c = zeros();
        long total = 0;
        for (String status : STATUSES) {
            long n = byStatus.getOrDefault(status, 0L);
            c.put(status, n);
            total += n;
        }
        c.put("total", total);
        this.calls = c;
    }

    private static Map<String, Object> zeros() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("total", 0L);
        STATUSES.forEach(s -> c.put(s, 0L));
        return c;
    }

    /**
     * The workers' starts and replacements.
     *
     * @param byWorker per worker (1-based index), how often it was replaced, and the reasons with their counts
     */
    public synchronized void workers(long starts, long restarts, List<Worker> byWorker) {
        this.workerStarts = starts;
        this.restarts = restarts;
        List<Map<String, Object>> list = new ArrayList<>();
        for (Worker w : byWorker) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("worker", w.worker());
            m.put("restarts", w.restarts());
            m.put("reasons", new LinkedHashMap<String, Object>(w.reasons()));
            list.add(m);
        }
        this.byWorker = list;
    }

    /** One worker's replacements. */
    public record Worker(int worker, long restarts, Map<String, Long> reasons) {
    }

    @Override
    protected synchronized void body(Map<String, Object> json) {
        json.put("worker_jar", workerJar);
        json.put("workers", workerJar == null ? null : workers);
        json.put("calls", calls);
        json.put("worker_starts", workerStarts);
        json.put("restarts", restarts);
        json.put("restarts_by_worker", byWorker);
    }
}
