package supervisor.process;

import java.util.concurrent.TimeUnit;
import supervisor.log.Log;
import supervisor.platform.Daemons;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.Posix;
import supervisor.terminate.OwnedChildren;

/**
 * The one place this JVM becomes the child subreaper: orphans among its tasks' descendants
 * (double-forked, setsid'ed, environment cleared) are reparented to it instead of init, so the
 * process-tree mechanism can still find and kill them. Two users: tasks held by their process
 * tree ({@link #become}: for good, with a thread that reaps those orphans as they end), and the
 * {@link ChildWatcher} ({@link #hold}, {@link #release}: while it is open; it reaps them itself).
 * The JVM stops being the subreaper only when neither needs it any more.
 */
final class Subreaper {
    private static final long REAP_INTERVAL_MILLIS = 100;
    // All guarded by Subreaper.class.
    private static boolean on; // become() succeeded: for good
    private static boolean started; // become() was called
    private static int holds; // open child watchers

    private Subreaper() {
    }

    /**
     * Becomes the subreaper now (loading the native layer if need be): for a task held by the
     * process tree alone, which must not be able to orphan anything before this is done.
     *
     * @return false when it cannot be had (not Linux, no native layer); said once
     */
    static synchronized boolean become() {
        if (started) {
            return on;
        }
        started = true;
        Posix posix;
        try {
            posix = Platform.posix();
            on = posix.becomeSubreaper();
        } catch (PlatformException e) {
            Log.warn("native support unavailable (" + e.getMessage() + "): orphans that leave a task's"
                    + " session and environment cannot be found");
            return false;
        }
        Daemons.start(() -> reapLoop(posix), "supervisor-reaper");
        return on;
    }

    /** Becomes the subreaper until {@link #release}: for a child watcher, which reaps what it adopts. */
    static synchronized void hold(Posix posix) {
        posix.becomeSubreaper();
        holds++;
    }

    /**
     * A child watcher no longer needs the subreaper: this JVM stops being one, so later orphans
     * go to init again, unless another watcher or a task held by its tree ({@link #become}) still
     * needs it.
     */
    static synchronized void release(Posix posix) {
        holds--;
        if (holds > 0 || on) {
            return;
        }
        try {
            posix.stopBeingSubreaper();
        } catch (PlatformException e) {
            Log.debug("cannot stop being the child subreaper: " + e.getMessage());
        }
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
