package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.testing.Procs;

/**
 * Issue 24, item 4, from one shaded jar: an application compiled here and merged with supervisor,
 * the worker stub and JNA into one jar, run with {@code java -jar app.jar}, calls its own code
 * through {@code PoolSettings.forClassPath()}: the workers' class path is that one jar. Real JVMs;
 * nothing is left.
 */
class ShadedJarIT {
    private static final Path TARGET = Path.of("target").toAbsolutePath();

    private static final String MAIN = """
            package app;

            import java.time.Duration;
            import supervisor.pool.PoolSettings;
            import supervisor.pool.WorkerPool;

            public final class Main {
                public static void main(String[] args) throws Exception {
                    String word = "shaded";
                    try (WorkerPool pool = WorkerPool.start(PoolSettings.forClassPath().workers(1).build())) {
                        long pid = pool.call(() -> ProcessHandle.current().pid(), Duration.ofSeconds(30));
                        System.out.println("other jvm: " + (pid != ProcessHandle.current().pid()));
                        System.out.println("length: " + pool.call(() -> word.length(), Duration.ofSeconds(30)));
                    }
                }
            }
            """;

    @Test
    void ownCodeCallsWorkFromAShadedJarRunWithJavaJar(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src/app/Main.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, MAIN);
        List<Path> libs = List.of(TARGET.resolve("supervisor.jar"), jar("worker-stub-"), jar("jna-"));
        String cp = String.join(":", libs.stream().map(Path::toString).toList());
        assertEquals(0, ToolProvider.findFirst("javac").orElseThrow().run(System.out, System.err,
                "-cp", cp, "-d", dir.resolve("classes").toString(), src.toString()));
        Path shaded = dir.resolve("app.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "app.Main");
        Set<String> seen = new HashSet<>();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(shaded), manifest)) {
            for (Path lib : libs) {
                try (JarInputStream in = new JarInputStream(Files.newInputStream(lib))) {
                    for (JarEntry e; (e = in.getNextJarEntry()) != null; ) {
                        String name = e.getName();
                        if (name.startsWith("META-INF/") || name.endsWith("module-info.class") || !seen.add(name)) {
                            continue; // as a shading plugin does: one manifest, no module descriptors
                        }
                        out.putNextEntry(new JarEntry(name));
                        in.transferTo(out);
                    }
                }
            }
            out.putNextEntry(new JarEntry("app/Main.class"));
            try (InputStream in = Files.newInputStream(dir.resolve("classes/app/Main.class"))) {
                in.transferTo(out);
            }
        }
        try (JarFile check = new JarFile(shaded.toFile())) {
            assertTrue(check.getEntry("supervisor/worker/WorkerMain.class") != null, "the stub is inside");
        }

        String testId = UUID.randomUUID().toString();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", shaded.toString()).redirectErrorStream(true);
        pb.environment().put("SUPERVISOR_TEST_ID", testId);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("other jvm: true\n") && out.contains("length: 6\n"), out);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
    }

    private static Path jar(String prefix) throws IOException {
        try (Stream<Path> files = Files.list(TARGET.resolve("lib"))) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix)).findFirst().orElseThrow();
        }
    }
}
