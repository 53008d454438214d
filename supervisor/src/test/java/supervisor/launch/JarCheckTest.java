package supervisor.launch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarCheckTest {
    @TempDir
    Path dir;

    private static LaunchException refused(Path jar, int status) {
        LaunchException e = assertThrows(LaunchException.class, () -> JarCheck.check(jar));
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(jar.toString()), "the message names the jar: " + e.getMessage());
        return e;
    }

    private static void assertMentions(LaunchException e, String problem) {
        assertTrue(e.getMessage().contains(problem), "expected '" + problem + "' in: " + e.getMessage());
    }

    private Path jar(String name, Manifest manifest) throws IOException {
        Path path = dir.resolve(name);
        try (OutputStream file = Files.newOutputStream(path);
             JarOutputStream out = manifest == null ? new JarOutputStream(file) : new JarOutputStream(file, manifest)) {
            out.putNextEntry(new JarEntry("tasks/Hello.class"));
            out.write(new byte[] {(byte) 0xca, (byte) 0xfe, (byte) 0xba, (byte) 0xbe});
            out.closeEntry();
        }
        return path;
    }

    private static Manifest manifest(String mainClass) {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (mainClass != null) {
            m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        }
        return m;
    }

    @Test
    void aMissingJarIs127() {
        assertMentions(refused(dir.resolve("no-such.jar"), 127), "not found");
    }

    @Test
    void aDirectoryIs126() throws IOException {
        Path d = Files.createDirectory(dir.resolve("looks-like.jar"));
        assertMentions(refused(d, 126), "directory");
    }

    @Test
    void aTextFileIs126() throws IOException {
        Path text = Files.writeString(dir.resolve("notes.jar"), "this is not a jar\n");
        assertMentions(refused(text, 126), "not a jar");
    }

    @Test
    void anEmptyFileIs126() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.jar"));
        assertMentions(refused(empty, 126), "not a jar");
    }

    @Test
    void aTruncatedZipIs126() throws IOException {
        // The zip signature alone passes the first look; opening it must still be refused.
        byte[] head = {'P', 'K', 3, 4, 20, 0, 0, 0};
        Path broken = Files.write(dir.resolve("truncated.jar"), head);
        assertMentions(refused(broken, 126), "corrupt jar");
    }

    @Test
    void aZipWithoutManifestIs126() throws IOException {
        Path zip = dir.resolve("plain.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("readme.txt"));
            out.write("hello".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        assertMentions(refused(zip, 126), "Main-Class");
    }

    @Test
    void aJarWithoutManifestIs126() throws IOException {
        assertMentions(refused(jar("bare.jar", null), 126), "Main-Class");
    }

    @Test
    void aJarWhoseManifestHasNoMainClassIs126() throws IOException {
        assertMentions(refused(jar("library.jar", manifest(null)), 126), "no Main-Class");
    }

    @Test
    void aJarWithABlankMainClassIs126() throws IOException {
        assertMentions(refused(jar("blank.jar", manifest("  ")), 126), "no Main-Class");
    }

    @Test
    void aJarWithAMainClassPasses() throws IOException {
        Path ok = jar("runnable.jar", manifest("tasks.Hello"));
        assertDoesNotThrow(() -> JarCheck.check(ok));
    }

    @Test
    void theTestTasksJarPasses() {
        String path = System.getProperty("test.tasks.jar");
        assertNotNull(path, "surefire sets test.tasks.jar");
        Path jar = Path.of(path);
        // `mvn test` alone does not package test-tasks; `verify` (CI) always does.
        assumeTrue(Files.isRegularFile(jar), "not built yet (needs the package phase): " + jar);
        assertDoesNotThrow(() -> JarCheck.check(jar));
    }
}
