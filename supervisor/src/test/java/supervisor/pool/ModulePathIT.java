package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import supervisor.testing.Procs;

/**
 * Issue 24, item 4, from the module path: a small application module, compiled here, runs with
 * {@code java --module-path supervisor.jar:... -m app/app.Main} and calls its own code through a
 * pool made with {@code PoolSettings.forClassPath()}, which takes the module path too. A lambda
 * of a package that is not open to {@code supervisor.worker} crosses whole (Java's serialized
 * form); one of an open package in the short form; a proxy of an open package works, one of a
 * closed package fails with an error that says what to open. Real JVMs; nothing is left.
 */
class ModulePathIT {
    private static final Path TARGET = Path.of("target").toAbsolutePath();

    private static final String MODULE = """
            module app {
                requires supervisor;
                opens app.open to supervisor.worker;
            }
            """;

    private static final String MAIN = """
            package app;

            import java.time.Duration;
            import supervisor.pool.PoolSettings;
            import supervisor.pool.WorkerPool;

            public final class Main {
                public record Point(int x, int y) implements java.io.Serializable { }

                public interface Closed {
                    int add(int a, int b);
                }

                public static final class ClosedImpl implements Closed {
                    public int add(int a, int b) {
                        return a + b;
                    }
                }

                public static void main(String[] args) throws Exception {
                    String word = "module";
                    Duration t = Duration.ofSeconds(30);
                    try (WorkerPool pool = WorkerPool.start(PoolSettings.forClassPath().workers(1)
                            .grace(Duration.ofMillis(500)).build())) {
                        long pid = pool.call(() -> ProcessHandle.current().pid(), t);
                        System.out.println("other jvm: " + (pid != ProcessHandle.current().pid()));
                        System.out.println("closed package: " + pool.call(() -> word.length(), t));
                        System.out.println("record: " + pool.call(() -> new Point(1, 2), t));
                        System.out.println("open package: " + app.open.Calls.lengthIn(pool, word));
                        System.out.println("proxy: " + pool.proxy(app.open.Calc.class, app.open.Calc.Impl.class).add(2, 3));
                        try {
                            pool.call(() -> { throw new java.io.IOException("own"); }, t);
                        } catch (java.io.IOException e) {
                            System.out.println("thrown: " + e.getMessage());
                        }
                        try {
                            pool.proxy(Closed.class, ClosedImpl.class).add(1, 1);
                        } catch (RuntimeException e) {
                            System.out.println("closed proxy: " + e.getMessage());
                        }
                    }
                }
            }
            """;

    private static final String CALLS = """
            package app.open;

            import java.time.Duration;
            import supervisor.pool.WorkerPool;

            public final class Calls {
                public static int lengthIn(WorkerPool pool, String word) {
                    return pool.call(() -> word.length() * 10, Duration.ofSeconds(30));
                }
            }
            """;

    private static final String CALC = """
            package app.open;

            public interface Calc {
                int add(int a, int b);

                final class Impl implements Calc {
                    public int add(int a, int b) {
                        return a + b;
                    }
                }
            }
            """;

    @Test
    void ownCodeCallsWorkFromTheModulePath() throws Exception {
        Path dir = Files.createTempDirectory(TARGET, "module-path-");
        String modulePath = TARGET.resolve("supervisor.jar") + ":" + jar("worker-stub-") + ":" + jar("jna-");
        Path src = dir.resolve("src");
        write(src.resolve("module-info.java"), MODULE);
        write(src.resolve("app/Main.java"), MAIN);
        write(src.resolve("app/open/Calls.java"), CALLS);
        write(src.resolve("app/open/Calc.java"), CALC);
        List<String> javac = new ArrayList<>(List.of("--module-path", modulePath, "-d", dir.resolve("classes").toString()));
        try (Stream<Path> files = Files.walk(src)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> javac.add(p.toString()));
        }
        assertEquals(0, ToolProvider.findFirst("javac").orElseThrow().run(System.out, System.err,
                javac.toArray(String[]::new)), "the application module compiles");
        assertEquals(0, ToolProvider.findFirst("jar").orElseThrow().run(System.out, System.err, "--create", "--file",
                dir.resolve("app.jar").toString(), "-C", dir.resolve("classes").toString(), "."));

        String testId = UUID.randomUUID().toString();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", modulePath + ":" + dir.resolve("app.jar"), "-m", "app/app.Main")
                .redirectErrorStream(true);
        pb.environment().put("SUPERVISOR_TEST_ID", testId);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        for (String line : List.of("other jvm: true", "closed package: 6", "record: Point[x=1, y=2]", "open package: 60",
                "proxy: 5", "thrown: own")) {
            assertTrue(out.contains(line + "\n"), "'" + line + "' in:\n" + out);
        }
        assertTrue(out.contains("closed proxy: ") && out.contains("opens app to supervisor.worker"), out);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
    }

    private static String jar(String prefix) throws IOException {
        try (Stream<Path> files = Files.list(TARGET.resolve("lib"))) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow().toString();
        }
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
