package supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import supervisor.testing.Supervisor;
import supervisor.testing.Supervisor.Route;

/**
 * Every setting, from every source (option, {@code SUPERVISOR_*} variable, config file), through
 * every way {@code supervisor run} and {@code supervisor pool} start a task, checked by its effect:
 * no setting is ever dropped or applied differently on one path. Limits and the termination
 * setting run on both mechanisms (cgroup and process tree); the rest on the default one.
 * A bad value from any source is a usage error (2) before anything starts.
 */
class SettingsEverywhereIT {
    private static final Duration LONG = Duration.ofSeconds(60);

    enum Source { OPTION, ENVIRONMENT, FILE }

    /** One setting, the task that shows its effect, and the check of that effect. */
    record Case(String key, String value, List<String> task, BiConsumer<Supervisor, Integer> effect, boolean bothMechanisms) {
        @Override
        public String toString() {
            return key + "=" + value;
        }
    }

    private static Case c(String key, String value, List<String> task, BiConsumer<Supervisor, Integer> effect) {
        return new Case(key, value, task, effect, false);
    }

    private static Case both(String key, String value, List<String> task, BiConsumer<Supervisor, Integer> effect) {
        return new Case(key, value, task, effect, true);
    }

    private static void status(int expected, Supervisor s, int actual) {
        assertEquals(expected, actual, s.stderr());
    }

    static Stream<Arguments> runCases() {
        List<Case> cases = List.of(
            c("timeout", "1s", List.of("hang"), (s, st) -> status(124, s, st)),
            c("grace", "300ms", List.of("hook-never-returns"), (s, st) -> {
                status(124, s, st);
                assertTrue(s.stderr().contains("grace 300ms expired"), s.stderr());
            }),
            c("jvm-opts", "-Dsettings.probe=seen", List.of("prop", "settings.probe"), (s, st) -> {
                status(0, s, st);
                assertEquals("seen\n", s.stdout());
            }),
            c("log-level", "debug", List.of("hello"), (s, st) -> {
                status(0, s, st);
                assertTrue(s.stderr().contains("supervisor: debug: task pid"), s.stderr());
            }),
            c("kill-mode", "task", List.of("hang"), (s, st) -> {
                status(124, s, st);
                assertTrue(s.stderr().contains("sending SIGTERM to the task (pid") && !s.stderr().contains("and all its processes, grace"),
                        s.stderr());
            }),
            c("stop-signal", "INT", List.of("hang"), (s, st) -> {
                status(124, s, st);
                assertTrue(s.stderr().contains("sending SIGINT to the task"), s.stderr());
            }),
            c("max-output", "1000", List.of("write-bytes", "100000"), (s, st) -> {
                status(123, s, st);
                assertEquals(1000, s.stdoutCount());
            }),
            both("termination", "tree", List.of("hello"), (s, st) -> {
                status(0, s, st);
                assertTrue(s.stderr().contains("termination mechanism: process tree"), s.stderr());
            }),
            both("memory", "64M", List.of("oom"), (s, st) -> status(121, s, st)),
            both("cpu-time", "1s", List.of("spin"), (s, st) -> status(122, s, st)),
            both("max-procs", "60", List.of("sh", "i=0; while [ $i -lt 80 ]; do sleep 2 & i=$((i+1)); done; wait", "wait-exit"),
                (s, st) -> assertTrue(s.stderr().contains("reached its process limit 60"), s.stderr())));
        List<Arguments> args = new ArrayList<>();
        for (Case k : cases) {
            for (Source source : Source.values()) {
                for (Route route : k.bothMechanisms() ? List.of(Route.CGROUP, Route.TREE) : List.of(Route.TREE)) {
                    args.add(Arguments.of(k, source, route));
                }
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "run {0} from {1} on {2}")
    @MethodSource("runCases")
    void runAppliesEverySettingFromEverySource(Case k, Source source, Route route, @TempDir Path dir) throws Exception {
        List<String> args = new ArrayList<>(List.of("run"));
        Supervisor.Builder b;
        List<String> extra = new ArrayList<>();
        if (k.key().equals("grace") || k.key().equals("kill-mode") || k.key().equals("stop-signal")) {
            extra.addAll(List.of("--timeout", "1s")); // a stop to watch
        }
        switch (source) {
            case OPTION -> args.addAll(k.key().equals("log-level") ? List.of("-v")
                    : List.of("--" + (k.key().equals("jvm-opts") ? "jvm-opt" : k.key()), k.value()));
            case FILE -> {
                Path file = Files.writeString(dir.resolve("supervisor.properties"), k.key() + " = " + k.value() + "\n");
                args.addAll(List.of("--config", file.toString()));
            }
            case ENVIRONMENT -> { }
        }
        args.addAll(extra);
        if (k.key().equals("termination")) {
            args.add("-v");
        }
        args.add(Supervisor.TASKS.toString());
        args.add("--");
        args.addAll(k.task());
        b = Supervisor.builder(args.toArray(String[]::new)).route(route);
        if (source == Source.ENVIRONMENT) {
            b.environment("SUPERVISOR_" + k.key().toUpperCase(Locale.ROOT).replace('-', '_'), k.value());
        }
        if (k.key().equals("termination")) {
            // The route sets SUPERVISOR_TERMINATION itself; the setting is the thing tested here.
            b.environment("SUPERVISOR_TERMINATION", source == Source.ENVIRONMENT ? k.value() : null);
        }
        if (k.key().equals("max-output")) {
            b.digestStdout();
        }
        try (Supervisor s = b.start()) {
            int st = s.exitCode(LONG);
            k.effect().accept(s, st);
        }
    }

    static Stream<Arguments> badValues() {
        return Stream.of(Source.values()).flatMap(source -> Stream.of(
                Arguments.of("timeout", "soon", source), Arguments.of("grace", "-1s", source),
                Arguments.of("memory", "10", source), Arguments.of("kill-mode", "all", source),
                Arguments.of("stop-signal", "KILL", source), Arguments.of("termination", "magic", source),
                Arguments.of("max-procs", "+5", source), Arguments.of("cpu-time", "\u0661s", source)));
    }

    /** A usage error from any source: exit 2, one line, and the task's main never ran (it would write a file). */
    @ParameterizedTest(name = "run {0}={1} from {2} is a usage error")
    @MethodSource("badValues")
    void runRefusesABadValueFromAnySourceBeforeAnythingStarts(String key, String value, Source source, @TempDir Path dir)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("run"));
        switch (source) {
            case OPTION -> args.add("--" + key + "=" + value);
            case FILE -> args.addAll(List.of("--config",
                    Files.writeString(dir.resolve("bad.properties"), key + " = " + value + "\n").toString()));
            case ENVIRONMENT -> { }
        }
        args.addAll(List.of("--workdir", dir.toString(), Supervisor.TASKS.toString(), "--", "pwd"));
        Supervisor.Builder b = Supervisor.builder(args.toArray(String[]::new));
        if (source == Source.ENVIRONMENT) {
            b.environment("SUPERVISOR_" + key.toUpperCase(Locale.ROOT).replace('-', '_'), value);
        }
        try (Supervisor s = b.start()) {
            assertEquals(2, s.exitCode(LONG), s.stderr());
            assertEquals(1, s.stderr().lines().count(), s.stderr());
            assertTrue(s.stderr().startsWith("supervisor: "), s.stderr());
            assertEquals("", s.stdout());
        }
        assertFalse(Files.exists(dir.resolve("left-by-task.txt")), "the task's main ran");
    }

    static Stream<Arguments> poolCases() {
        return Stream.of(Source.values()).flatMap(source -> Stream.of(
                Arguments.of("timeout", "1s", "hang", "\"status\":\"timeout\"", source),
                Arguments.of("jvm-opts", "-Dsettings.probe=seen", "prop settings.probe", "\"output\":\"seen\"", source),
                Arguments.of("memory", "64M", "alloc 200000000", "memory limit", source),
                Arguments.of("termination", "tree", "echo ok", "\"status\":\"ok\"", source),
                Arguments.of("pipeline", "4", "echo ok", "takes up to 4 calls at a time", source)));
    }

    @ParameterizedTest(name = "pool {0}={1} from {4}")
    @MethodSource("poolCases")
    void poolAppliesEverySettingFromEverySource(String key, String value, String call, String expected, Source source,
                                                @TempDir Path dir) throws Exception {
        List<String> args = new ArrayList<>(List.of("pool", "--workers", "1", "-v"));
        switch (source) {
            case OPTION -> args.addAll(List.of("--" + (key.equals("jvm-opts") ? "jvm-opt" : key), value));
            case FILE -> args.addAll(List.of("--config",
                    Files.writeString(dir.resolve("pool.properties"), key + " = " + value + "\n").toString()));
            case ENVIRONMENT -> { }
        }
        args.add(Supervisor.TASKS.resolveSibling("test-tasks-worker.jar").toString());
        Supervisor.Builder b = Supervisor.builder(args.toArray(String[]::new)).stdin((call + "\n").getBytes());
        if (source == Source.ENVIRONMENT) {
            b.environment("SUPERVISOR_" + key.toUpperCase(Locale.ROOT).replace('-', '_'), value);
        }
        try (Supervisor s = b.start()) {
            s.exitCode(LONG);
            assertTrue(s.stdout().contains(expected) || s.stderr().contains(expected), s.stdout() + s.stderr());
            if (key.equals("termination")) {
                assertTrue(s.stderr().contains("process tree"), s.stderr());
            }
        }
    }
}
