package supervisor.worker;

import java.lang.reflect.InvocationTargetException;

/**
 * Makes this worker JVM the child subreaper when the supervisor asks for it
 * ({@code -Dsupervisor.worker.subreaper=true}, given only when the worker is held by the process
 * tree, not by a cgroup): an orphan among the task's descendants (double-forked, setsid'ed,
 * environment cleared) is then reparented to this worker instead of the supervisor's JVM or
 * init, so it stays in this worker's tree, which the supervisor kills when it replaces or closes
 * the worker. See docs/termination.md.
 *
 * <p>Java cannot call {@code prctl}; JNA can, and the supervisor then puts its jar on the class
 * path. JNA stays optional for the stub: it is reached through reflection only, so without it
 * the stub loads and runs as before, after one line on stderr.
 */
final class Subreaper {
    static final String PROPERTY = "supervisor.worker.subreaper";
    private static final int PR_SET_CHILD_SUBREAPER = 36;

    /** Whether this worker became the subreaper: it then kills its descendants as it ends. */
    private static volatile boolean active;

    private Subreaper() {}

    /** Becomes the subreaper if asked to; says in one line why it could not, and goes on. */
    static void becomeIfAsked() {
        if (!Boolean.getBoolean(PROPERTY)) {
            return;
        }
        String failure;
        try {
            Class<?> function = Class.forName("com.sun.jna.Function");
            Object prctl = function.getMethod("getFunction", String.class, String.class).invoke(null, "c", "prctl");
            int result = invoke(function, prctl, PR_SET_CHILD_SUBREAPER, 1L);
            if (result == 0) {
                // Its orphans are its children only while it lives: it kills them as it ends (Exit).
                active = true;
                return;
            }
            int errno = (Integer) Class.forName("com.sun.jna.Native").getMethod("getLastError").invoke(null);
            failure = "prctl(PR_SET_CHILD_SUBREAPER) failed with errno " + errno;
        } catch (ClassNotFoundException e) {
            failure = "JNA is not on the worker's class path";
        } catch (InvocationTargetException e) {
            failure = "JNA cannot call prctl: " + e.getCause().getMessage();
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            failure = "JNA cannot call prctl: " + e.getMessage();
        }
        Exit.log("cannot become the child subreaper (" + failure + "): a descendant that leaves this worker's"
                + " session and environment and is orphaned escapes its process tree");
    }

    /** {@code prctl(option, arg, 0, 0, 0)} through JNA's {@code Function}. */
    private static int invoke(Class<?> function, Object prctl, int option, long arg) throws ReflectiveOperationException {
        Object[] args = {option, arg, 0L, 0L, 0L};
        return (Integer) function.getMethod("invokeInt", Object[].class).invoke(prctl, (Object) args);
    }

    /**
     * Kills this worker's descendants (SIGKILL), if it is the subreaper: an orphan among them is
     * its child until it ends, and init's after. Called just before the worker halts.
     */
    static void killDescendants() {
        if (active) {
            ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        }
    }
}
