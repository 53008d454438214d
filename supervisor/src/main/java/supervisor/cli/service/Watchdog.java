package supervisor.cli.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.platform.Daemons;

/**
 * Beats as long as the task is healthy, and stops beating when it is not, so that whoever
 * watches restarts it: systemd (WATCHDOG=1 at half the interval it asked for, WATCHDOG_USEC), and
 * the health file ({@code --health-file}, a new beat time every second, read by a Kubernetes
 * exec probe through {@code supervisor probe}). Healthy is what the caller says: alive and not
 * frozen, and, with {@code --ready tcp:} or {@code file:}, still passing that probe (checked once
 * per beat, for both). Becoming unhealthy is said once, and so is a recovery. A beat only queues
 * the message ({@link Notifier#watchdog()}) or renames a small file, so a notify socket that
 * nobody reads delays neither the beats nor the health checks; the beats keep to a fixed schedule
 * on {@link System#nanoTime()}.
 */
public final class Watchdog {
    /** Between two beats of the health file: a probe's --max-age should be several of these. */
    public static final long HEALTH_FILE_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);

    private Watchdog() {
    }

    /**
     * Starts the watchdog thread if anyone listens: systemd asked for a watchdog (WATCHDOG_USEC
     * set, and WATCHDOG_PID, if set, naming this process), or there is a health file. With both,
     * it beats at the shorter period.
     *
     * @param healthFile the health file, or null for none
     * @param problem what is wrong with the task now, or null when it is healthy; called on the
     *     watchdog's thread at every beat, so it must take well under a period
     * @return the thread, to interrupt when the run is over; null if nobody listens
     */
    public static Thread start(Notifier notifier, Map<String, String> env, HealthFile healthFile, Supplier<String> problem) {
        long systemdNanos = systemdPeriod(notifier, env);
        if (systemdNanos == 0 && healthFile == null) {
            return null;
        }
        boolean systemd = systemdNanos > 0;
        long periodNanos = systemd && healthFile != null ? Math.min(systemdNanos, HEALTH_FILE_PERIOD_NANOS)
                : systemd ? systemdNanos : HEALTH_FILE_PERIOD_NANOS;
        List<String> listeners = new ArrayList<>();
        if (systemd) {
            listeners.add("answering systemd's watchdog");
        }
        if (healthFile != null) {
            listeners.add("beating in the health file " + Printable.quote(healthFile.path().toString()));
        }
        String what = String.join(", nor ", listeners);
        Thread t = Daemons.start(() -> {
            boolean announced = false;
            long next = System.nanoTime();
            while (!Thread.currentThread().isInterrupted()) {
                String wrong = problem.get();
                if (wrong == null) {
                    if (systemd) {
                        notifier.watchdog();
                    }
                    if (healthFile != null) {
                        healthFile.beat();
                    }
                    if (announced) {
                        announced = false;
                        Log.info("the task is healthy again: " + what + " again");
                    }
                } else {
                    if (healthFile != null) {
                        healthFile.unhealthy("the task " + wrong);
                    }
                    if (!announced) {
                        announced = true;
                        Log.warn("the task " + wrong + ": no longer " + what);
                    }
                }
                next += periodNanos;
                long wait = next - System.nanoTime();
                if (wait < 0) { // a health check took longer than a period: beat now, anchor again
                    next = System.nanoTime();
                    continue;
                }
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "supervisor-watchdog");
        Log.debug("watchdog: " + (systemd ? "WATCHDOG=1" : "") + (systemd && healthFile != null ? " and " : "")
                + (healthFile != null ? "a beat in " + Printable.quote(healthFile.path().toString()) : "")
                + " every " + TimeUnit.NANOSECONDS.toMillis(periodNanos) + " ms");
        return t;
    }

    /** Half the interval systemd asked for, or 0 if it asked for none (or asked another process). */
    private static long systemdPeriod(Notifier notifier, Map<String, String> env) {
        String usec = env.get("WATCHDOG_USEC");
        String pid = env.get("WATCHDOG_PID");
        if (!notifier.enabled() || usec == null || usec.isEmpty()
                || pid != null && !pid.isEmpty() && !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return 0;
        }
        long interval;
        try {
            interval = Long.parseLong(usec);
        } catch (NumberFormatException e) {
            Log.warn("WATCHDOG_USEC is not a number: '" + usec + "'; no watchdog");
            return 0;
        }
        return interval <= 0 ? 0 : Math.max(1, TimeUnit.MICROSECONDS.toNanos(interval) / 2);
    }
}
