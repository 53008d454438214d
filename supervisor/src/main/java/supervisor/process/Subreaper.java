package supervisor.process;

import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.Posix;
import supervisor.terminate.OwnedChildren;

/**
 * Makes this JVM the child subreaper, once: orphans among its tasks' descendants (double-forked,
 * setsid'ed, environment cleared) are reparented to it instead of init, so the process-tree
 * mechanism can still find and kill them; and reaps those orphans as they end.
 */
final class Subreaper {
    private static final long REAP_INTERVAL_MILLIS = 100;
    private static volatile boolean on;
    private static boolean started; // guarded by Subreaper.class

    private Subreaper() {
    }

    /**
     * Becomes the subreaper now (loading the native layer if need be): for a task held by the
     * process tree alone, which must not be able to orphan anything before this is done.
     *
     * @return false when it cannot be had (not Linux, no native layer); said once
     */
    static boolean become() {
        synchronized (Subreaper.class) {
            if (started) {
                return on;
            }
            started = true;
        }
        Posix posix;
        try {
            posix = Platform.posix();
            on = posix.becomeSubreaper();
        } catch (PlatformException e) {
            Log.warn("native support unavailable (" + e.getMessage() + "): orphans that leave a task's"
                    + " session and environment cannot be found");
            return false;
        }
        Thread t = new Thread(() -> reapLoop(posix), "supervisor-reaper");
        t.setDaemon(true);
        t.start();
        return on;
    }

    /** Reaps the zombies of adopted orphans; never a child whose status the JDK or a task owns. */
    private static void reapLoop(Posix posix) {
        while (true) {
            try {
                TimeUnit.MILLISECONDS.sleep(REAP_INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            try {
                OwnedChildren.reap(posix, pid -> false);
            } catch (RuntimeException e) {
                Log.debug("reaping adopted orphans failed: " + e);
            }
        }
    }
}
