package supervisor.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.launch.ExitStatus;
import supervisor.platform.Posix.Delivery;
import supervisor.testing.Await;
import supervisor.testing.MarkedProcesses;
import supervisor.testing.Procs;

/** The native layer against real processes: signals aimed by (pid, start time), and reaping. */
class PosixIT {
    private static final Duration PATIENCE = Duration.ofSeconds(5);
    private static final int SELF = (int) ProcessHandle.current().pid();
    /** When this test began: older zombies of this JVM are an earlier class's (Procs.zombieChildrenSince). */
    private final long since = Procs.ticksNow();
    private static final int PR_SET_CHILD_SUBREAPER = 36; // <linux/prctl.h>

    private static Posix posix;

    private final MarkedProcesses marked = new MarkedProcesses();
    private final String mark = marked.mark;
    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        posix = Platform.posix();
    }

    /** Some tests here make this JVM a subreaper; tests of other classes must not inherit that. */
    @AfterAll
    static void stopBeingSubreaper() {
        LinuxPosix.LibC.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    }

    private Process spawn(String... command) throws IOException {
        return marked.spawn(command);
    }

    @AfterEach
    void leaveNothingBehind() throws InterruptedException {
        marked.killAndCheck();
        // Whatever a failed test left adopted, so that the next test does not fail for it.
        List<ProcStat> zombies = Procs.zombieChildrenSince(SELF, since);
        zombies.forEach(z -> posix.reap(z.pid()));
        assertEquals(List.of(), zombies, "zombie children of this JVM");
    }

    private static int firstLineAsPid(Process p) throws IOException {
        // One line, not to EOF: whatever holds the pipe open must not make the test wait.
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        return Integer.parseInt(r.readLine().trim());
    }

    private static char state(int pid) {
        return ProcFs.stat(pid).map(ProcStat::state).orElse('-');
    }

    /**
     * The pool sizes what it sends behind a running call by the worker's stdin pipe: its capacity
     * is read through /proc/PID/fd/0, grown where the kernel allows it (root here), never shrunk.
     */
    @Test
    void pipeCapacityIsReadThroughProcAndGrownWhereAllowed() throws Exception {
        Process sleep = spawn("sleep", "30");
        Path stdin = Path.of("/proc/" + sleep.pid() + "/fd/0");
        assertEquals(64 * 1024, posix.pipeCapacity(stdin, 4096), "a new pipe holds 64 KiB; wanting less shrinks nothing");
        assertEquals(128 * 1024, posix.pipeCapacity(stdin, 128 * 1024), "grown (root may)");
        assertEquals(128 * 1024, posix.pipeCapacity(stdin, 64 * 1024), "kept");
        sleep.getOutputStream().write('x');
        sleep.getOutputStream().flush();
        assertTrue(sleep.isAlive(), "the pipe still works after the probe's descriptor closed");
        PlatformException notAPipe = org.junit.jupiter.api.Assertions.assertThrows(PlatformException.class,
                () -> posix.pipeCapacity(Path.of("/proc/self/exe"), 4096));
        assertTrue(notAPipe.getMessage().contains("/proc/self/exe"), notAPipe.getMessage());
        sleep.destroyForcibly().waitFor();
    }

    @Test
    void aSignalWithTheRightStartTimeIsDelivered() throws Exception {
        Process sleep = spawn("sleep", "30");
        int pid = (int) sleep.pid();
        ProcessId id = ProcFs.id(pid).orElseThrow();

        assertEquals(Delivery.SENT, posix.signal(id, Signal.STOP));
        Await.until(PATIENCE, "pid " + pid + " stopped", () -> state(pid) == 'T');
        assertEquals(Delivery.SENT, posix.signal(id, Signal.CONT));
        Await.until(PATIENCE, "pid " + pid + " running again", () -> state(pid) != 'T');
        assertTrue(sleep.isAlive());

        assertEquals(Delivery.SENT, posix.signal(id, Signal.KILL));
        assertTrue(sleep.waitFor(5, TimeUnit.SECONDS));
        assertEquals(128 + Signal.KILL, sleep.exitValue());
    }

    @Test
    void aSignalWithAnotherStartTimeIsNotSentThePidReuseGuard() throws Exception {
        Process sleep = spawn("sleep", "30");
        int pid = (int) sleep.pid();
        ProcessId id = ProcFs.id(pid).orElseThrow();
        // The same pid, as an earlier and a later process that had it would be known.
        ProcessId earlier = new ProcessId(pid, id.startTime() - 1);
        ProcessId later = new ProcessId(pid, id.startTime() + 1);

        assertEquals(Delivery.GONE, posix.signal(earlier, Signal.STOP));
        assertEquals(Delivery.GONE, posix.signal(later, Signal.STOP));
        assertEquals(Delivery.GONE, posix.signal(earlier, Signal.TERM));
        // A SIGSTOP that landed would show within microseconds; give it far longer.
        assertFalse(Await.within(Duration.ofMillis(200), () -> state(pid) == 'T' || !sleep.isAlive()),
                "pid " + pid + " was hit: state " + state(pid));
        assertTrue(ProcFs.alive(id));

        // A fatal signal fixes the exit status when it is sent, so had the SIGTERM gone out,
        // this SIGKILL could not make it 137.
        assertEquals(Delivery.SENT, posix.signal(id, Signal.KILL));
        assertTrue(sleep.waitFor(5, TimeUnit.SECONDS));
        assertEquals(128 + Signal.KILL, sleep.exitValue());
    }

    @Test
    void aSignalToAReapedProcessIsNotSent() throws Exception {
        Process sleep = spawn("sleep", "30");
        ProcessId id = ProcFs.id((int) sleep.pid()).orElseThrow();
        sleep.destroyForcibly();
        assertTrue(sleep.waitFor(5, TimeUnit.SECONDS)); // the JDK has reaped it
        assertFalse(ProcFs.exists(id));
        assertEquals(Delivery.GONE, posix.signal(id, Signal.KILL));
        assertEquals(Delivery.GONE, posix.signal(id, Signal.TERM));
    }

    @Test
    void reapCollectsAnAdoptedZombieWithItsStatus() throws Exception {
        assertTrue(posix.becomeSubreaper());
        // The background sh waits on a fifo so that it outlives its parent (which could
        // otherwise reap it) and is reparented to this JVM. Then it exits 3, with nobody but us to
        // wait for it. Its pid comes back on stdout.
        Path fifo = dir.resolve("go");
        assertTrue(spawn("mkfifo", fifo.toString()).waitFor(5, TimeUnit.SECONDS));
        Process parent = spawn("sh", "-c", "sh -c 'read go < \"$0\"; exit 3' \"$0\" </dev/null >/dev/null & echo $!",
                fifo.toString());
        int orphan = firstLineAsPid(parent);
        assertTrue(parent.waitFor(5, TimeUnit.SECONDS));
        Await.until(PATIENCE, "pid " + orphan + " is adopted by this JVM",
                () -> ProcFs.stat(orphan).map(s -> s.ppid() == SELF).orElse(false));
        Files.writeString(fifo, "go\n");

        Await.until(PATIENCE, "pid " + orphan + " is a zombie child of this JVM",
                () -> ProcFs.stat(orphan).map(s -> s.isDead() && s.ppid() == SELF).orElse(false));
        assertTrue(ProcFs.children(SELF).contains(orphan), "children: " + ProcFs.children(SELF));
        ProcStat zombie = ProcFs.stat(orphan).orElseThrow();
        assertEquals(0x0300, zombie.exitCode(), "field 52 holds the wait status");

        int status = posix.reap(orphan);
        assertEquals(new ExitStatus(3, 0), ExitStatus.fromWaitStatus(status));
        assertFalse(ProcFs.exists(zombie.id()), "reaped, so gone from /proc");
        assertEquals(-1, posix.reap(orphan), "a second reap finds nothing");
    }

    @Test
    void reapLeavesALiveChildAlone() throws Exception {
        assertTrue(posix.becomeSubreaper());
        Process parent = spawn("sh", "-c", "sleep 30 </dev/null >/dev/null & echo $!");
        int orphan = firstLineAsPid(parent);
        assertTrue(parent.waitFor(5, TimeUnit.SECONDS));
        Await.until(PATIENCE, "pid " + orphan + " is adopted",
                () -> ProcFs.stat(orphan).map(s -> s.ppid() == SELF).orElse(false));
        ProcessId id = ProcFs.id(orphan).orElseThrow();

        assertEquals(-1, posix.reap(orphan), "it has not exited");
        assertTrue(ProcFs.alive(id));

        assertEquals(Delivery.SENT, posix.signal(id, Signal.KILL));
        Await.until(PATIENCE, "pid " + orphan + " is a zombie",
                () -> ProcFs.stat(orphan).map(ProcStat::isDead).orElse(false));
        assertEquals(new ExitStatus(137, Signal.KILL), ExitStatus.fromWaitStatus(posix.reap(orphan)));
    }

    @Test
    void reapOfAProcessThatIsNotOurChildIsMinusOne() {
        assertEquals(-1, posix.reap(1));
    }
}
