package supervisor.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.testing.Await;
import supervisor.testing.MarkedProcesses;
import supervisor.testing.Procs;

class ProcFsIT {
    private static final Duration PATIENCE = Duration.ofSeconds(5);
    private static final int SELF = (int) ProcessHandle.current().pid();

    private final MarkedProcesses marked = new MarkedProcesses();
    private final String mark = marked.mark;

    private Process spawn(String... command) throws IOException {
        return marked.spawn(command);
    }

    @AfterEach
    void leaveNothingBehind() throws InterruptedException {
        marked.killAndCheck();
    }

    /**
     * A stat line as Linux 3.5+ writes it: 52 fields, field 22 the start time, field 52 the
     * exit code. Fields not named are filled with their own number, to catch off-by-ones.
     */
    private static String statLine(int pid, String comm, char state, int ppid, int pgrp, int session,
                                   long startTime, int exitCode, int fields) {
        StringBuilder b = new StringBuilder().append(pid).append(" (").append(comm).append(") ").append(state);
        for (int field = 4; field <= fields; field++) {
            long value = switch (field) {
                case 4 -> ppid;
                case 5 -> pgrp;
                case 6 -> session;
                case 22 -> startTime;
                case 52 -> exitCode;
                default -> field;
            };
            b.append(' ').append(value);
        }
        return b.append('\n').toString();
    }

    @Test
    void parseReadsThePlainFields() {
        ProcStat s = ProcFs.parse(statLine(123, "java", 'S', 1, 123, 120, 567900, 0, 52));
        assertEquals(new ProcStat(123, "java", 'S', 1, 123, 120, 567900, 0), s);
    }

    @Test
    void parseTakesTheLastParenthesisAsTheEndOfComm() {
        // comm is whatever the process named itself: spaces and parentheses included.
        ProcStat s = ProcFs.parse(statLine(123, "a) b) (c", 'S', 1, 123, 123, 4242, 0, 52));
        assertEquals("a) b) (c", s.comm());
        assertEquals(123, s.pid());
        assertEquals('S', s.state());
        assertEquals(1, s.ppid());
        assertEquals(123, s.pgrp());
        assertEquals(123, s.session());
        assertEquals(4242, s.startTime());
    }

    @Test
    void parseTakesACommThatLooksLikeFields() {
        ProcStat s = ProcFs.parse(statLine(77, ") R 1 2 3 (", 'T', 9, 8, 7, 99, 0, 52));
        assertEquals(") R 1 2 3 (", s.comm());
        assertEquals('T', s.state());
        assertEquals(new ProcessId(77, 99), s.id());
        assertTrue(s.isStopped());
    }

    @Test
    void parseReadsTheWaitStatusOfAZombie() {
        ProcStat s = ProcFs.parse(statLine(500, "sh", 'Z', 1, 500, 500, 10, 0x0300, 52));
        assertEquals(0x0300, s.exitCode());
        assertTrue(s.isDead());
    }

    @Test
    void parseOfAnOldKernelLineWithoutTheExitCodeField() {
        // Before Linux 3.5 the line stopped at field 44.
        ProcStat s = ProcFs.parse(statLine(500, "sleep", 'S', 1, 500, 500, 10, 0, 44));
        assertEquals(0, s.exitCode());
        assertEquals(10, s.startTime());
    }

    @Test
    void parseRefusesWhatIsNotAStatLine() {
        assertThrows(NumberFormatException.class, () -> ProcFs.parse("12 (sh) S 1 2"));
        assertThrows(NumberFormatException.class, () -> ProcFs.parse("no parenthesis at all"));
        assertThrows(NumberFormatException.class, () -> ProcFs.parse(statLine(5, "x", 'S', 1, 5, 5, 10, 0, 52)
                .replace(" 10 ", " 1x0 ")));
    }

    @Test
    void parseOfEveryLiveProcessAgreesWithItsFieldsSplitOut() throws IOException {
        // The in-place parser against the plain reading of the same line, on this machine's processes.
        for (ProcStat p : ProcFs.scan()) {
            String line;
            try {
                line = Files.readString(Path.of("/proc/" + p.pid() + "/stat"), StandardCharsets.ISO_8859_1);
            } catch (IOException gone) {
                continue;
            }
            String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
            ProcStat q = ProcFs.parse(line);
            assertEquals(p.pid(), q.pid());
            assertEquals(Integer.parseInt(f[1]), q.ppid(), line);
            assertEquals(Integer.parseInt(f[3]), q.session(), line);
            assertEquals(Long.parseLong(f[19]), q.startTime(), line);
        }
    }

    @Test
    void statOfThisJvm() throws IOException {
        ProcStat s = ProcFs.stat(SELF).orElseThrow();
        assertEquals(SELF, s.pid());
        assertEquals(ProcessHandle.current().parent().orElseThrow().pid(), s.ppid());
        assertFalse(s.isDead());
        assertFalse(s.isStopped());
        assertFalse(s.comm().isEmpty());
        // Started after boot, and not in the future: /proc/uptime is in seconds.
        String uptime = Files.readString(Path.of("/proc/uptime")).split(" ")[0];
        long nowTicks = (long) (Double.parseDouble(uptime) * ProcFs.TICKS_PER_SECOND);
        assertTrue(s.startTime() > 0 && s.startTime() <= nowTicks, s + " vs uptime " + uptime);

        ProcessId id = ProcFs.id(SELF).orElseThrow();
        assertEquals(s.id(), id);
        assertTrue(ProcFs.exists(id));
        assertTrue(ProcFs.alive(id));
        assertTrue(ProcFs.scan().stream().anyMatch(p -> p.id().equals(id)));
    }

    @Test
    void aPidWithAnotherStartTimeIsAnotherProcess() {
        ProcessId self = ProcFs.id(SELF).orElseThrow();
        assertFalse(ProcFs.exists(new ProcessId(SELF, self.startTime() + 1)));
        assertFalse(ProcFs.alive(new ProcessId(SELF, self.startTime() - 1)));
    }

    @Test
    void aPidThatCannotExistIsGone() throws IOException {
        int beyond = pidMax() + 1;
        assertEquals(Optional.empty(), ProcFs.stat(beyond));
        assertEquals(Optional.empty(), ProcFs.id(beyond));
        assertFalse(ProcFs.exists(new ProcessId(beyond, 1)));
        assertEquals(List.of(), ProcFs.children(beyond));
        assertFalse(ProcFs.environContains(beyond, "A=b".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void childrenOfThisJvmListASpawnedProcessUntilItIsReaped() throws Exception {
        Process sleep = spawn("sleep", "30");
        int pid = (int) sleep.pid();
        assertTrue(ProcFs.children(SELF).contains(pid), "children of " + SELF + ": " + ProcFs.children(SELF));
        ProcStat s = ProcFs.stat(pid).orElseThrow();
        assertEquals(SELF, s.ppid());
        assertEquals("sleep", s.comm());

        sleep.destroyForcibly();
        assertTrue(sleep.waitFor(5, TimeUnit.SECONDS));
        Await.until(PATIENCE, "pid " + pid + " leaves the children", () -> !ProcFs.children(SELF).contains(pid));
        assertFalse(ProcFs.exists(s.id()));
    }

    @Test
    void environContainsMatchesWholeEntriesOnly() throws Exception {
        Process p = spawn("env", "FOO=bar", "sleep", "30");
        int pid = (int) p.pid();
        // The new environment exists only once env has exec'ed sleep.
        Await.until(PATIENCE, "env execs sleep", () -> Procs.cmdline(pid).equals("sleep 30"));
        assertTrue(contains(pid, "FOO=bar"));
        assertTrue(contains(pid, mark), "the inherited environment is there too");
        assertFalse(contains(pid, "FOO=ba"), "a prefix of the entry");
        assertFalse(contains(pid, "FOO"), "the name alone");
        assertFalse(contains(pid, "FOO="), "the name and '='");
        assertFalse(contains(pid, "FOO=barx"), "longer than the entry");
        assertFalse(contains(pid, "OO=bar"), "a suffix of the entry");
    }

    private static int pidMax() throws IOException {
        // Not Files.readString: it reads a sysctl file in two reads, and the second, at a
        // non-zero offset, gets EOF, leaving the first digit alone.
        try (FileInputStream in = new FileInputStream("/proc/sys/kernel/pid_max")) {
            return Integer.parseInt(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim());
        }
    }

    private static boolean contains(int pid, String entry) {
        return ProcFs.environContains(pid, entry.getBytes(StandardCharsets.UTF_8));
    }
}
