package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.ReportSchema;
import supervisor.testing.Supervisor;

/**
 * Statuses, report outcomes and lines follow the README's tables: a pool whose workers cannot
 * start, a task that exits with 128+N by itself. Every run proves on close that it left no
 * process behind.
 */
class StatusesIT {
    static final String WORKER = Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString();
    static final Duration LONG = Duration.ofSeconds(120);
    private static final ReportSchema SCHEMA = ReportSchema.load();
    /** A line that carries a Java class name of the supervisor's or the JDK's. */
    static final Pattern JAVA_CLASS = Pattern.compile("java\\.|javax\\.|Exception\\b|supervisor\\.[a-z]+\\.[A-Z]");

    static Map<String, Object> report(Path file) throws Exception {
        assertTrue(Files.exists(file), file + " was not written");
        return SCHEMA.validate(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** The supervisor's own lines (a pool's workers' relayed lines begin with [wN], a task's are its own). */
    static List<String> ownLines(String stderr) {
        return stderr.lines().filter(l -> l.startsWith("supervisor: ")).toList();
    }

    @Test
    void poolWhoseWorkersCannotStartIs126WithOneLineNamingTheCause(@TempDir Path dir) throws Exception {
        Map<String, String> causes = Map.of(
                "tasks.worker.ThrowingConstructorTask", "no licence for this machine",
                "tasks.worker.ExitingInitTask", "native library not found",
                "tasks.worker.NoSuchTask", "task class tasks.worker.NoSuchTask not found on the class path");
        List<Supervisor> runs = new ArrayList<>();
        List<String> classes = new ArrayList<>(causes.keySet());
        try {
            for (String c : classes) {
                runs.add(Supervisor.builder("pool", "--workers", "1", "--report", dir.resolve(c + ".json").toString(),
                        "--jvm-opt", "-Dsupervisor.task.class=" + c, WORKER).stdin("echo a\n".getBytes()).start());
            }
            for (int i = 0; i < classes.size(); i++) {
                Supervisor s = runs.get(i);
                String c = classes.get(i);
                assertEquals(126, s.exitCode(LONG), c + ": " + s.stderr());
                List<String> own = ownLines(s.stderr());
                assertEquals(1, own.size(), c + ": " + s.stderr());
                assertTrue(own.get(0).startsWith("supervisor: cannot start the workers: worker w1 (pid "), own.get(0));
                assertTrue(own.get(0).contains(causes.get(c)), own.get(0));
                assertFalse(JAVA_CLASS.matcher(own.get(0).replace("java.lang.IllegalStateException: no licence", ""))
                        .find(), "a class name that is not the task's own: " + own.get(0));
                assertEquals("", s.stdout(), "no call was answered");
                Map<String, Object> r = report(dir.resolve(c + ".json"));
                assertEquals("start_failed", r.get("outcome"), r.toString());
                assertEquals(126, ((Number) r.get("exit_status")).intValue(), r.toString());
            }
        } finally {
            runs.forEach(Supervisor::close);
        }
    }
}
