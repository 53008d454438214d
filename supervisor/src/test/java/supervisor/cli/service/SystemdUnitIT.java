package supervisor.cli.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import supervisor.testing.Await;
import supervisor.testing.Procs;
import supervisor.testing.StrictJson;
import supervisor.testing.Supervisor;
import supervisor.testing.SystemdContainer;

/**
 * Issue 27, item 3: the template unit {@code supervisor@.service} under a real systemd, Debian 12's
 * systemd 252 as PID 1 of a podman container ({@code scripts/systemd-container}), with the supervisor
 * installed from this build ({@code /opt/supervisor/bin} and {@code lib}, linked from
 * {@code /usr/local/bin} and {@code /usr/bin}) and each instance's task a real HTTP server
 * (test-tasks {@code http-server}) ready only once it listens. systemd's own verdicts are checked:
 * ActiveState, StatusText, the watchdog's restart, Result after a stop, the journal's priorities,
 * the delegated cgroup. The container is removed after the class, and the host's cgroup mounts
 * checked to be as before. With {@code -Dsystemd.unit.deb=PATH} the Debian package is installed instead
 * ({@code dpkg -i}), with its own units.
 */
class SystemdUnitIT {
    private static final Duration LONG = Duration.ofSeconds(60);
    /** The first run on a machine installs podman and mmdebstrap and builds the root filesystem. */
    private static final Duration COLD_START = Duration.ofMinutes(15);
    private static final String TEST_ID = UUID.randomUUID().toString();
    private static final String TASKS_IN_CONTAINER = "/opt/test-tasks/test-tasks.jar";

    private static SystemdContainer systemd;

    @BeforeAll
    static void startSystemd() throws Exception {
        List<String> args = new ArrayList<>(List.of("--bind", Supervisor.TASKS.toAbsolutePath() + ":" + TASKS_IN_CONTAINER,
                "--env", "SUPERVISOR_TEST_ID=" + TEST_ID));
        String deb = System.getProperty("systemd.unit.deb", "");
        if (!deb.isEmpty()) {
            args.addAll(List.of("--deb", deb));
        }
        String name = "unit-it-" + TEST_ID.substring(0, 8);
        systemd = SystemdContainer.start(name, TEST_ID, COLD_START, args.toArray(String[]::new));
        System.out.printf("systemd container ready after %.1f s%n%s", systemd.startSeconds(), systemd.log());
    }

    @AfterAll
    static void removeSystemd() {
        if (systemd != null) {
            long start = System.nanoTime();
            systemd.close(); // fails unless the host's cgroup mounts are as before
            System.out.printf("systemd container removed in %.1f s%n", (System.nanoTime() - start) / 1e9);
            // Whatever ran in the container (systemd, the supervisors, the tasks) was marked.
            Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + TEST_ID, Duration.ofSeconds(10));
        }
    }

    /**
     * Instance {@code name} of the template: the settings file and the jar where the unit's
     * ExecStart looks for them (its task: an HTTP server on {@code port} that listens after
     * {@code delayMillis}), and a drop-in that marks its processes, plus {@code dropIn} lines.
     * Returns the unit's name.
     */
    private static String instance(String name, int port, long delayMillis, String... dropIn) {
        String unit = "supervisor@" + name + ".service";
        List<String> lines = new ArrayList<>(List.of("[Service]", "Environment=SUPERVISOR_TEST_ID=" + mark(name)));
        lines.addAll(List.of(dropIn));
        // The template runs /usr/bin/supervisor run --config /etc/supervisor/NAME.conf: the file names the task.
        systemd.script(String.join("\n",
                "set -e",
                "mkdir -p /etc/supervisor /etc/systemd/system/" + unit + ".d",
                "cat > /etc/supervisor/" + name + ".conf <<'EOF'",
                "jar = " + TASKS_IN_CONTAINER,
                "task-args = http-server " + port + " " + delayMillis,
                "ready = tcp:" + port,
                "ready-timeout = 60s",
                "grace = 5s",
                "log-level = debug",
                "EOF",
                "cat > /etc/systemd/system/" + unit + ".d/test.conf <<'EOF'",
                String.join("\n", lines),
                "EOF",
                "systemctl daemon-reload")).ok();
        return unit;
    }

    /** The environment entry of an instance's processes, as the host's /proc shows them. */
    private static String mark(String name) {
        return TEST_ID + "-" + name;
    }

    /** Lines NAME=VALUE that a script prints (systemctl show's, and the tests' own), as a map. */
    private static Map<String, String> values(String script) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : systemd.ok(script).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                values.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return values;
    }

    private static Map<String, String> show(String unit, String... properties) {
        return values("systemctl show " + unit + " -p " + String.join(",", properties));
    }

    private static String journal(String unit) {
        return systemd.ok("journalctl -u " + unit + " -o cat --no-pager");
    }

    /** Each line the unit's processes logged (SYSLOG_IDENTIFIER=supervisor-NAME), with its PRIORITY. */
    private static Map<String, String> priorities(String name) {
        Map<String, String> priorities = new LinkedHashMap<>();
        String json = systemd.ok("journalctl -o json --no-pager SYSLOG_IDENTIFIER=supervisor-" + name);
        for (String line : json.split("\n")) {
            Map<?, ?> entry = (Map<?, ?>) StrictJson.parse(line);
            String message = String.valueOf(entry.get("MESSAGE"));
            assertFalse(message.startsWith("<"), "a priority prefix left in the text: " + message);
            priorities.put(message, String.valueOf(entry.get("PRIORITY")));
        }
        return priorities;
    }

    private static void assertPriority(Map<String, String> priorities, String prefix, String priority) {
        List<String> matching = priorities.keySet().stream().filter(m -> m.startsWith(prefix)).toList();
        assertFalse(matching.isEmpty(), "no line starting with " + prefix + " in " + priorities);
        for (String m : matching) {
            assertEquals(priority, priorities.get(m), m);
        }
    }

    private static boolean answers(int port) {
        return systemd.sh("exec 3<>/dev/tcp/127.0.0.1/" + port).status() == 0;
    }

    /** Starts {@code unit} (systemctl start returns once READY=1 came); its cgroup and the pids in it. */
    private static Map<String, String> start(String unit) {
        Map<String, String> v = values("systemctl start " + unit + " && systemctl show " + unit
                + " -p ActiveState,MainPID,ControlGroup,StatusText"
                + " && cg=$(systemctl show -p ControlGroup --value " + unit + ")"
                + " && echo pids=$(find /sys/fs/cgroup$cg -name cgroup.procs -exec cat {} +)");
        assertEquals("active", v.get("ActiveState"), v.toString());
        return v;
    }

    /** Stops {@code unit} and checks it ended inactive, not failed, with nothing of it left. */
    private static String stopAndCheck(String name, String unit, Map<String, String> started) {
        long start = System.nanoTime();
        Map<String, String> v = values("systemctl stop " + unit + "; systemctl show " + unit + " -p ActiveState,Result"
                + "; test -e /sys/fs/cgroup" + started.get("ControlGroup") + " && echo cgroup=left"
                + "; echo alive=$(for p in " + started.get("pids") + "; do [ -e /proc/$p ] && echo $p; done)"
                + "; echo files=$(ls -A /var/lib/private/supervisor/" + name + ")");
        System.out.printf("%s: systemctl stop took %.2f s%n", unit, (System.nanoTime() - start) / 1e9);
        String journal = journal(unit);
        assertEquals("inactive", v.get("ActiveState"), () -> v + "\n" + journal);
        assertEquals("success", v.get("Result"), () -> v + "\n" + journal);
        // The supervisor ended by itself (status 143, SuccessExitStatus=), not by systemd's SIGKILL
        // after TimeoutStopSec (Result would be "timeout"), nor with a failure ("exit-code").
        assertTrue(journal.contains(unit + ": Deactivated successfully."), journal);
        assertTrue(journal.lastIndexOf("supervisor: consumed ") > journal.lastIndexOf("Stopping " + unit), journal);
        assertFalse(v.containsKey("cgroup"), "the unit's cgroup is gone");
        assertEquals("", v.get("alive"), "processes of " + unit + " left (of " + started.get("pids") + ")");
        // Nothing written in the working directory (StateDirectory=) that nobody asked for.
        assertEquals("", v.get("files"), "files left in the working directory");
        // And on the host's process table, by the mark every process of the instance carries.
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + mark(name), Duration.ofSeconds(5));
        return journal;
    }

    @Test
    void theUnitIsActivatingUntilThePortAnswersThenActiveWithItsStatusText() {
        int port = 8081;
        String unit = instance("ready", port, 3000);
        systemd.ok("systemctl start --no-block " + unit);
        // State first, then the port: "activating" seen while nothing listened yet.
        List<String> samples = Collections.synchronizedList(new ArrayList<>());
        Await.until(LONG, unit + " to leave activating", () -> {
            String sample = systemd.ok("state=$(systemctl show -p ActiveState --value " + unit + ");"
                    + " if (exec 3<>/dev/tcp/127.0.0.1/" + port + ") 2>/dev/null; then echo $state open; else echo $state closed; fi");
            samples.add(sample);
            return !sample.startsWith("activating");
        });
        System.out.println(unit + ": ActiveState and port, polled: " + samples);
        assertTrue(samples.contains("activating closed"), "activating while the port did not answer: " + samples);
        assertTrue(samples.get(samples.size() - 1).startsWith("active "), () -> samples + "\n" + journal(unit));
        assertTrue(samples.stream().filter(s -> s.startsWith("active ")).allMatch(s -> s.endsWith(" open")),
                "active only once the port answers: " + samples);

        Map<String, String> v = start(unit); // already active: a no-op that reports
        Matcher status = Pattern.compile("running test-tasks\\.jar \\(pid (\\d+)\\)").matcher(v.get("StatusText"));
        assertTrue(status.matches(), v.toString());
        String task = status.group(1);
        String main = v.get("MainPID");
        String cgroup = v.get("ControlGroup");
        Map<String, String> facts = values("echo main=$(tr '\\0' ' ' < /proc/" + main + "/cmdline)"
                + "; echo task=$(tr '\\0' ' ' < /proc/" + task + "/cmdline)"
                + "; echo uid=$(awk '/^Uid:/ {print $2}' /proc/" + main + "/status)"
                + "; echo owner=$(stat -c %u /sys/fs/cgroup" + cgroup + ")"
                + "; echo taskCgroup=$(grep '^0::' /proc/" + task + "/cgroup)");
        assertTrue(facts.get("main").contains("supervisor.cli.Main run --config /etc/supervisor/ready.conf"),
                "the main pid is the supervisor's (the launcher execs it): " + facts);
        assertTrue(facts.get("task").contains("test-tasks.jar http-server 8081 3000"), "the status names the task's pid: " + facts);

        // Delegate=yes: the unit's cgroup is the service user's, and the task has a leaf of it.
        assertEquals("/system.slice/system-supervisor.slice/" + unit, cgroup);
        assertNotEquals("0", facts.get("uid"), "DynamicUser=yes");
        assertEquals(facts.get("uid"), facts.get("owner"), "the delegated cgroup's owner");
        String taskCgroup = facts.get("taskCgroup").substring("0::".length());
        assertTrue(taskCgroup.matches(Pattern.quote(cgroup) + "/supervisor-[0-9a-f]+"), taskCgroup);
        String journal = stopAndCheck("ready", unit, v);
        assertTrue(journal.contains("termination mechanism: cgroup /sys/fs/cgroup" + taskCgroup), journal);
        assertTrue(journal.contains("supervisor: debug: task ready after "), journal);
    }

    @Test
    void aStopEndsInactiveNotFailedAfterTheTasksShutdownHooksWithNothingLeft() {
        String unit = instance("stop", 8082, 0);
        Map<String, String> started = start(unit);
        assertTrue(started.get("pids").split(" ").length >= 3, "supervisor, guardian and task: " + started);
        String journal = stopAndCheck("stop", unit, started);
        assertTrue(journal.contains("supervisor: got SIGTERM: sending SIGTERM to the task"), journal);
        assertTrue(journal.indexOf("task: shutdown hook ran") > journal.indexOf("supervisor: got SIGTERM"), journal);
        assertTrue(journal.contains("supervisor: debug: task exited with status 143 after SIGTERM"), journal);
    }

    @Test
    void aTaskThatStopsServingMissesTheWatchdogAndIsRestartedAfterAPoliteStop() {
        int port = 8083;
        String unit = instance("watchdog", port, 0, "WatchdogSec=2s");
        String first = start(unit).get("MainPID");
        // GET /stop: the server answers, then closes its listening socket; its JVM lives on.
        systemd.ok("exec 3<>/dev/tcp/127.0.0.1/" + port + "; printf 'GET /stop HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3");
        long stopped = System.nanoTime();
        Await.until(LONG, unit + " restarted by the watchdog and ready again", () -> {
            Map<String, String> s = show(unit, "ActiveState", "NRestarts", "MainPID");
            return s.get("NRestarts").equals("1") && s.get("ActiveState").equals("active") && !s.get("MainPID").equals(first);
        });
        System.out.printf("%s: serving again %.2f s after it stopped serving (WatchdogSec=2s)%n", unit,
                (System.nanoTime() - stopped) / 1e9);
        assertTrue(answers(port));
        String journal = stopAndCheck("watchdog", unit, start(unit));
        String unhealthy = "supervisor: the task is not healthy: nothing accepts connections on 127.0.0.1:" + port;
        assertTrue(journal.contains(unhealthy), journal);
        assertTrue(journal.contains(unit + ": Watchdog timeout (limit 2s)!"), journal);
        // WatchdogSignal=SIGTERM: the supervisor stops the task politely, its hooks run, then systemd restarts.
        assertTrue(journal.contains(unit + ": Killing process " + first + " (java) with signal SIGTERM."), journal);
        int hook = journal.indexOf("task: shutdown hook ran");
        assertTrue(hook > journal.indexOf("Watchdog timeout") && hook < journal.indexOf("Scheduled restart job"), journal);
        assertTrue(journal.contains(unit + ": Failed with result 'watchdog'."), journal);
        assertPriority(priorities("watchdog"), unhealthy, "4");
    }

    @Test
    void theSupervisorsLinesReachTheJournalWithTheirPriorities() {
        String unit = instance("journal", 8084, 0);
        stopAndCheck("journal", unit, start(unit));
        Map<String, String> priorities = priorities("journal");
        System.out.println(unit + ": journal priorities: " + priorities);
        assertPriority(priorities, "supervisor: debug: ", "7");
        assertPriority(priorities, "supervisor: got SIGTERM: ", "4");
        assertPriority(priorities, "supervisor: consumed ", "6");
        // The task's own lines pass through untouched, at the unit's default level (info).
        assertPriority(priorities, "task: ", "6");
        assertPriority(priorities, "ready", "6");
    }

    @Test
    void theUnitsPassSystemdAnalyzeVerifyWhereTheyAreInstalled() {
        // Where the paths in them exist (ExecStart's supervisor), unlike SystemdIT's check in the build
        // tree: every supervisor unit installed (from config/, or the package's), a template as an instance.
        String units = systemd.ok("systemctl list-unit-files --no-legend 'supervisor*' | awk '{print $1}' | sed 's/@\\./@verify./'");
        assertTrue(units.contains("supervisor@verify.service"), units);
        // --man=no: the image has no man-db; the man page of Documentation= is checked by SystemdIT
        // (the build's) and DebPackageIT (the installed one).
        SystemdContainer.Result r = systemd.sh("systemd-analyze verify --man=no " + units.replace('\n', ' '));
        System.out.println("systemd-analyze verify " + units.replace('\n', ' ') + ": status " + r.status());
        assertEquals(0, r.status(), r.toString());
        assertEquals("", (r.stdout() + r.stderr()).strip(), "warnings: " + r);
    }
}
