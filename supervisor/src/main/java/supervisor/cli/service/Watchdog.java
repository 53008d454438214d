package supervisor.cli.service;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import supervisor.log.Log;
import supervisor.platform.Daemons;

/**
 * Sends WATCHDOG=1 at half the interval systemd asked for (WATCHDOG_USEC), as long as the task is
 * healthy; stops sending when it is not, so that systemd restarts the service. Healthy is what the
 * caller says: alive and not frozen, and, with {@code --ready tcp:} or {@code file:}, still passing
 * that probe (checked at every beat). Becoming unhealthy is said once, and so is a recovery. A beat only queues
 * the message ({@link Notifier#watchdog()}), so a notify socket that nobody reads delays neither
 * the beats nor the health checks; the beats keep to a fixed schedule on {@link System#nanoTime()}.
 */
public final class Watchdog {
    private Watchdog() {
    }

    /**
     * Starts the watchdog thread if systemd asked for one (WATCHDOG_USEC set, and WATCHDOG_PID,
     * if set, naming this process).
     *
     * @param problem what is wrong with the task now, or null when it is healthy; called on the
     *     watchdog's thread at every beat, so it must take well under a period
     * @return true if started
     */
    public static boolean start(Notifier notifier, Map<String, String> env, Supplier<String> problem) {
        String usec = env.get("WATCHDOG_USEC");
        String pid = env.get("WATCHDOG_PID");
        if (!notifier.enabled() || usec == null || usec.isEmpty()
                || pid != null && !pid.isEmpty() && !pid.equals(Long.toString(ProcessHandle.current().pid()))) {
            return false;
        }
        long interval;
        try {
            interval = Long.parseLong(usec);
        } catch (NumberFormatException e) {
            Log.warn("WATCHDOG_USEC is not a number: '" + usec + "'; no watchdog");
            return false;
        }
        if (interval <= 0) {
            return false;
        }
        long periodNanos = TimeUnit.MICROSECONDS.toNanos(interval) / 2;
        Thread t = Daemons.start(() -> {
            boolean announced = false;
            long next = System.nanoTime();
            while (true) {
                String wrong = problem.get();
                if (wrong == null) {
                    notifier.watchdog();
                    if (announced) {
                        announced = false;
                        Log.info("the task is healthy again: answering systemd's watchdog");
                    }
                } else if (!announced) {
                    announced = true;
                    Log.warn("the task " + wrong + ": no longer answering systemd's watchdog");
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
        Log.debug("watchdog: WATCHDOG=1 every " + TimeUnit.NANOSECONDS.toMillis(periodNanos) + " ms");
        return true;
    }
}
