package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.platform.Platform;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcStat;
import supervisor.platform.Signal;
import supervisor.testing.Await;
import supervisor.testing.Procs;

/**
 * The subreaper's two users in one JVM: tasks held by their process tree, which need it for as
 * long as the JVM lives, and a task runner's child watcher, which needs it while it is open. The
 * forked JVM may have run other classes before this one: only what this test started counts.
 */
class SubreaperIT {
    private static final int SELF = (int) ProcessHandle.current().pid();
    /** When this test began: older zombies of this JVM are an earlier class's (Procs.zombieChildrenSince). */
    private final long since = Procs.ticksNow();
    private final String id = "SUPERVISOR_TEST_ID=" + UUID.randomUUID();

    @AfterEach
    void nothingLeftBehind() {
        // kill(2) by pid and start time: ProcessHandle.destroyForcibly was seen to leave the
        // orphan running when this class shared its forked JVM with TaskRunnerIT.
        Procs.withEnv(id).forEach(p -> Platform.posix().signal(p.id(), Signal.KILL));
        Procs.assertNoneLeft(id, Duration.ofSeconds(5));
        // The reaper thread of Subreaper.become() reaps the killed orphan.
        Await.until(Duration.ofSeconds(5), "no zombie child", () -> Procs.zombieChildrenSince(SELF, since).isEmpty());
    }

    @Test
    void closingAChildWatcherLeavesTheSubreaperThatTreeHeldTasksNeed() throws Exception {
        assertTrue(Subreaper.become(), "this JVM can be the subreaper");
        ChildWatcher.start().close();
        // Were the JVM no longer the subreaper, this orphan would go to init (or a subreaper
        // above), out of reach of the tree walk that kills a task's orphans.
        int orphan = orphan();
        assertEquals(SELF, ProcFs.stat(orphan).map(ProcStat::ppid).orElse(-1),
                "the orphan was reparented to this JVM, still the subreaper");
    }

    /** Starts sh, which starts a sleep in a session of its own (an orphan the reaper may reap) and exits: its pid. */
    private int orphan() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "setsid sleep 1091 & echo $!");
        pb.environment().put(id.substring(0, id.indexOf('=')), id.substring(id.indexOf('=') + 1));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process sh = pb.start();
        int pid;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(sh.getInputStream(), StandardCharsets.UTF_8))) {
            pid = Integer.parseInt(out.readLine().trim());
        }
        assertEquals(0, sh.waitFor(), "sh exited");
        // Until setsid(2) has run it is still in this JVM's session, where the reaper leaves a
        // zombie to its owner (a host's Process): killed that early, it would stay one.
        Await.until(Duration.ofSeconds(5), "the orphan in a session of its own",
                () -> ProcFs.stat(pid).map(s -> s.session() == pid).orElse(false));
        return pid;
    }
}
