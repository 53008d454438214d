package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.platform.Cgroups;
import supervisor.platform.ProcStat;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * Thread dumps of {@code supervisor run} (docs/diagnostics.md), against real JVMs: at a timeout,
 * before SIGTERM, every JVM of the task's tree is dumped into one file, and the ones that cannot
 * be are skipped with their reason within the bound, while the task's stdout stays byte-exact (a
 * SIGQUIT to the wrong JVM would print a dump there); at the end of the grace of a stop a signal
 * asked for, before SIGKILL; never when turned off; an unwritable directory costs one line.
 */
class ThreadDumpIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Pattern FILE_LINE = Pattern.compile("supervisor: thread dump of (\\d+) JVMs? \\(pids? ([0-9, ]+)\\)"
            + " in (\\S+/supervisor-threads-\\d{8}T\\d{6}Z-sv-[0-9a-f]{16}\\.txt)(; .*)?\n");

    /**
     * The task JVM and five children: plain, -XX:+DisableAttachMechanism, -Xrs, one SIGSTOPped and
     * one frozen by a cgroup (it takes the SIGQUIT and never answers), with --private-tmp.
     */
    @Test
    void aTimeoutDumpsEveryJvmOfTheTreeBeforeSigtermSkipsWhatCannotAnswerAndLeavesStdoutAlone(@TempDir Path dir)
            throws Exception {
        Optional<Path> cgroups = Cgroups.writableV2Parent();
        Path frozen = cgroups.map(p -> p.resolve("threaddumpit-" + UUID.randomUUID())).orElse(null);
        List<Integer> pids = new ArrayList<>();
        Path privateTmp = null;
        try (Supervisor s = Supervisor.builder("run", "-v", "--timeout", "6s", "--grace", "1s", "--private-tmp",
                        Supervisor.TASKS.toString(), "--", "jvm-tree", "-", "-XX:+DisableAttachMechanism", "-Xrs", "-", "-")
                .route(Route.TREE).directory(dir).environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            s.awaitStderr("ready", LONG);
            int parent = 0;
            int[] child = new int[5];
            for (ProcStat p : s.taskProcesses()) {
                String cmdline = Procs.cmdline(p.pid());
                Matcher m = Pattern.compile("jvm-child (\\d)$").matcher(cmdline);
                if (m.find()) {
                    child[Integer.parseInt(m.group(1))] = p.pid();
                } else if (cmdline.contains(" jvm-tree ")) {
                    parent = p.pid();
                }
            }
            pids.add(parent);
            privateTmp = Path.of(Procs.environ(parent).get("TMPDIR"));
            assertTrue(Files.isDirectory(privateTmp), "the task has a private TMPDIR: " + privateTmp);
            for (int c : child) {
                assertTrue(c > 0, "five children: " + Procs.describe(s.taskProcesses()));
                pids.add(c);
            }
            Supervisor.kill("STOP", child[3]);
            if (frozen != null) {
                Files.createDirectory(frozen);
                Files.writeString(frozen.resolve("cgroup.procs"), Integer.toString(child[4]));
                Files.writeString(frozen.resolve("cgroup.freeze"), "1");
                Await.until(LONG, "the child frozen", () -> Cgroups.value(frozen, "cgroup.events", "frozen") == 1);
            }
            assertFalse(s.stderr().contains("timeout 6s expired"), "the tree was ready before the timeout: " + s.stderr());
            s.awaitStderr("timeout 6s expired", LONG);
            long expired = System.nanoTime();
            assertEquals(124, s.exitCode(LONG), s.stderr());
            long millis = (System.nanoTime() - expired) / 1_000_000;
            String err = s.stderr();

            // One line names the file and every JVM, dumped or skipped with its reason.
            Matcher line = FILE_LINE.matcher(err);
            assertTrue(line.find(), err);
            assertEquals(parent + ", " + child[0] + ", " + child[2], line.group(2), "the task, the plain and the -Xrs JVM: " + err);
            String skips = line.group(4);
            assertTrue(skips.contains("pid " + child[1] + " does not allow attach (-XX:+DisableAttachMechanism)"), err);
            assertTrue(skips.contains("pid " + child[3] + " is stopped (SIGSTOP)"), err);
            if (frozen != null) {
                assertTrue(skips.contains("pid " + child[4] + " did not start its attach listener within 2s"), err);
            }
            // Before SIGTERM: the JVMs were dumped hanging where they hang; they ended after.
            // "exited" where the kernel keeps the wait status (Linux 6.15+), "ended" where it is ambiguous.
            Matcher end = Pattern.compile("task (exited|ended) with status 143").matcher(err);
            assertTrue(end.find() && err.indexOf(line.group()) < end.start(), err);
            Path file = Path.of(line.group(3));
            assertEquals(dir.toRealPath(), file.getParent().toRealPath(), "in the supervisor's working directory");
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of(file.getFileName()), files.map(Path::getFileName).toList(), "one file, nothing else");
            }
            String dump = Files.readString(file, StandardCharsets.UTF_8);
            for (int pid : pids) {
                assertTrue(dump.contains("\n===== pid " + pid + ": "), pid + " has a section:\n" + dump);
            }
            assertTrue(dump.startsWith("Thread dump by supervisor (pid "), dump);
            assertTrue(dump.contains(": timeout 6s expired\n"), dump);
            assertEquals(1, count(dump, "at tasks.Main.hangingParent("), dump);
            assertEquals(2, count(dump, "at tasks.Main.hangingChild("), dump);
            assertTrue(dump.contains("skipped: pid " + child[1] + " does not allow attach"), dump);

            // The task's own output, byte for byte: no JVM printed a dump there (nor on stderr).
            assertEquals("child 0: started\nchild 1: started\nchild 2: started\nchild 3: started\nchild 4: started\n"
                    + "parent: 5 children ready\n", s.stdout());
            assertFalse(err.contains("Full thread dump"), err);

            // Bounded: the dump (2 s for the frozen JVM, then the file), the grace, the kill.
            assertTrue(millis < 2_500 + 1_000 + 3_000, "stopped " + millis + " ms after the timeout:\n" + err);
            System.out.println("thread dump: 6 JVMs (3 skipped, 1 never answering) stopped " + millis
                    + " ms after a timeout with a grace of 1s");
        } finally {
            if (frozen != null && Files.isDirectory(frozen)) {
                Files.writeString(frozen.resolve("cgroup.freeze"), "0");
                Await.until(LONG, "the frozen child gone", () -> Cgroups.value(frozen, "cgroup.events", "populated") == 0);
                Files.delete(frozen);
            }
        }
        for (int pid : pids) {
            assertFalse(Files.exists(Path.of("/tmp/.attach_pid" + pid)), "no trigger file left for " + pid);
            // The -Xrs JVM, whose listener runs from start-up, dies of SIGTERM's default action and cannot remove it.
            assertFalse(Files.exists(Path.of("/tmp/.java_pid" + pid), LinkOption.NOFOLLOW_LINKS),
                    "no attach socket left for " + pid);
        }
        assertFalse(Files.exists(privateTmp), "the private TMPDIR removed: " + privateTmp);
    }

    /**
     * The supervisor killed (kill -9) while it waits for a frozen JVM to start its attach listener:
     * the trigger file it made in /tmp is removed by the guardian, with the task and its cgroup.
     */
    @Test
    void aKill9DuringTheDumpLeavesNoTriggerFile(@TempDir Path dir) throws Exception {
        Path parent = Cgroups.writableV2Parent().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(parent != null, "needs a writable cgroup2 hierarchy to freeze the task");
        try (Supervisor s = Supervisor.builder("run", "--timeout", "1s", "--dump-dir", dir.toString(),
                        Supervisor.TASKS.toString(), "--", "hang")
                .route(Route.CGROUP).environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            s.awaitStderr("ready", LONG);
            int pid = s.taskJvm().pid();
            String own = Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream()
                    .filter(l -> l.startsWith("0::")).findFirst().orElseThrow();
            Path leaf = parent.resolve(Path.of(own.substring(3)).getFileName().toString());
            Files.writeString(leaf.resolve("cgroup.freeze"), "1");
            Path trigger = Path.of("/tmp/.attach_pid" + pid);
            Await.until(LONG, "the supervisor to make " + trigger + " for the frozen JVM", () -> Files.exists(trigger));
            Supervisor.kill("KILL", s.pid());
            Await.until(Duration.ofSeconds(5), "the guardian to kill the task and remove " + trigger,
                    () -> Procs.withEnv(s.testEnv()).isEmpty() && Files.notExists(trigger));
            Await.until(Duration.ofSeconds(5), "the task's cgroup removed", () -> Files.notExists(leaf));
            assertEquals("", s.stdout());
        }
    }

    /**
     * Asked to stop by SIGTERM, the task hangs in its shutdown hook: dumped at the grace's end, then
     * killed (on the default mechanism, a cgroup here).
     */
    @Test
    void aStopThatOutlivesItsGraceIsDumpedBeforeTheKill(@TempDir Path dir) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "-v", "--grace", "1s", "--dump-dir", dir.toString(),
                        Supervisor.TASKS.toString(), "--", "hook-never-returns")
                .environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            s.awaitStderr("ready", LONG);
            int pid = s.taskJvm().pid();
            // The supervisor's own JVM prints its threads on SIGQUIT: on stderr, never the task's stdout.
            s.signal("QUIT");
            s.awaitStderr("Full thread dump", LONG);
            s.signal("TERM");
            assertEquals(143, s.exitCode(LONG), s.stderr());
            String err = s.stderr();
            Matcher line = FILE_LINE.matcher(err);
            assertTrue(line.find(), err);
            assertEquals(Integer.toString(pid), line.group(2), err);
            assertTrue(err.indexOf("grace 1s expired") < err.indexOf(line.group()), err);
            assertTrue(err.indexOf(line.group()) < err.indexOf("supervisor: debug: killed 1 process"), "then the kill: " + err);
            String dump = Files.readString(Path.of(line.group(3)), StandardCharsets.UTF_8);
            assertTrue(dump.contains(": got SIGTERM, and the grace 1s expired\n"), dump);
            // Hung in its shutdown: the hook that never returns, and the JVM waiting for it.
            assertTrue(dump.contains("at tasks.Main.sleepForever(") && dump.contains("at java.lang.Shutdown.runHooks("), dump);
            assertEquals("", s.stdout());
            // The dump started its attach listener; killed, it could not remove its socket: the supervisor did.
            assertFalse(Files.exists(Path.of("/tmp/.java_pid" + pid), LinkOption.NOFOLLOW_LINKS),
                    "the killed JVM's attach socket is left in /tmp");
        }
    }

    @Test
    void noDumpWhenTurnedOffAndAnUnwritableDirectoryCostsOneLine(@TempDir Path dir) throws Exception {
        try (Supervisor s = Supervisor.builder("run", "--no-thread-dump", "--timeout", "500ms", Supervisor.TASKS.toString(),
                "--", "hang").directory(dir).environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            assertFalse(s.stderr().contains("thread dump"), s.stderr());
        }
        // /sys takes no new file, even from root.
        try (Supervisor s = Supervisor.builder("run", "--dump-dir", "/sys", "--timeout", "500ms", Supervisor.TASKS.toString(),
                "--", "hang").directory(dir).environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            assertEquals(124, s.exitCode(LONG), s.stderr());
            List<String> lines = s.stderr().lines().filter(l -> l.contains("thread dump")).toList();
            assertEquals(List.of("supervisor: cannot write a thread dump in /sys: permission denied; none taken"
                    + " (--dump-dir names another directory)"), lines, s.stderr());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "no file from either run");
        }
        // Checked before anything starts; the config file's key turns it off as well.
        try (Supervisor s = Supervisor.builder("run", "--dump-dir", dir.resolve("missing").toString(),
                Supervisor.TASKS.toString(), "--", "hello").environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            assertEquals(2, s.exitCode(LONG));
            assertEquals("supervisor: --dump-dir: '" + dir.resolve("missing") + "' is not a directory\n", s.stderr());
            assertEquals("", s.stdout(), "nothing ran");
        }
        try (Supervisor s = Supervisor.builder("run", "--thread-dump", "--no-thread-dump", Supervisor.TASKS.toString(),
                "--", "hello").start()) {
            assertEquals(2, s.exitCode(LONG));
            assertTrue(s.stderr().contains("--no-thread-dump and --thread-dump exclude each other"), s.stderr());
        }
        Path config = Files.writeString(dir.resolve("supervisor.properties"), "thread-dump = no\n");
        try (Supervisor s = Supervisor.builder("config", "--config", config.toString())
                .environment("SUPERVISOR_THREAD_DUMP", null).start()) {
            assertEquals(0, s.exitCode(LONG), s.stderr());
            assertTrue(s.stdout().matches("(?s).*\nthread-dump\\s+= no\\s+# " + Pattern.quote(config.toString()) + ":1\n.*"),
                    s.stdout());
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
