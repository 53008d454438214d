package supervisor.process;

import java.util.Optional;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.ProcessId;

/**
 * Whether a process can still act, from /proc alone: this very process (its pid with its start
 * time: a reused pid is another process), neither exited (a zombie counts as gone) nor stopped
 * (SIGSTOP, a debugger): a stopped guardian cannot clean up, a stopped task cannot answer.
 */
public final class Liveness {
    private Liveness() {
    }

    /** This very process, neither exited nor stopped; false for null. */
    public static boolean running(ProcessId id) {
        return current(id).map(st -> !st.isDead() && !st.isStopped()).orElse(false);
    }

    /** This very process, and stopped; false for null. */
    public static boolean stopped(ProcessId id) {
        return current(id).map(ProcStat::isStopped).orElse(false);
    }

    private static Optional<ProcStat> current(ProcessId id) {
        return id == null ? Optional.empty() : ProcFs.stat(id.pid()).filter(st -> st.startTime() == id.startTime());
    }
}
