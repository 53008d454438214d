package supervisor.launch;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import supervisor.log.Printable;

class JarCheckIT {
    @TempDir
    Path dir;

    private static LaunchException refused(Path jar, int status) {
        // Preemptive: a check that opened a FIFO would block here for good.
        LaunchException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(LaunchException.class, () -> JarCheck.check(jar)));
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(Printable.escape(jar.toString())), "the message names the jar: " + e.getMessage());
        assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20 || c > 0x7e), "one printable line: " + e.getMessage());
        return e;
    }

    private static LaunchException refusedAsWorker(Path jar, int status) {
        LaunchException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(LaunchException.class, () -> JarCheck.checkWorker(jar)));
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(Printable.escape(jar.toString())), "the message names the jar: " + e.getMessage());
        return e;
    }

    private Path fifo(String name) throws Exception {
        Path fifo = dir.resolve(name);
        Process mkfifo = new ProcessBuilder("mkfifo", "--", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo " + fifo);
        return fifo;
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
    void aFifoIs126AtOnce() throws Exception {
        Path fifo = fifo("pipe.jar");
        assertMentions(refused(fifo, 126), "it is a FIFO, not a jar");
        assertMentions(refusedAsWorker(fifo, 126), "it is a FIFO, not a jar");
    }

    @Test
    void aSymlinkToAFifoIs126AtOnce() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("link.jar"), fifo("pipe"));
        assertMentions(refused(link, 126), "it is a FIFO");
    }

    @Test
    void aSocketIs126() throws IOException {
        Path socket = dir.resolve("socket.jar");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            assertMentions(refused(socket, 126), "it is a socket, not a jar");
            assertMentions(refusedAsWorker(socket, 126), "it is a socket, not a jar");
        }
    }

    @Test
    void aCharacterDeviceIs126() {
        assertMentions(refused(Path.of("/dev/zero"), 126), "it is a character device, not a jar");
        assertMentions(refused(Path.of("/dev/null"), 126), "it is a character device, not a jar");
        assertMentions(refusedAsWorker(Path.of("/dev/zero"), 126), "it is a character device, not a jar");
    }

    @Test
    void aSymlinkLoopIs126() throws IOException {
        Path a = dir.resolve("a.jar");
        Files.createSymbolicLink(a, dir.resolve("b.jar"));
        Files.createSymbolicLink(dir.resolve("b.jar"), a);
        assertMentions(refused(a, 126), "Too many levels of symbolic links");
        assertMentions(refusedAsWorker(a, 126), "Too many levels of symbolic links");
    }

    @Test
    void aDanglingSymlinkIs127() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("dangling.jar"), dir.resolve("gone.jar"));
        assertMentions(refused(link, 127), "task jar not found");
        assertMentions(refusedAsWorker(link, 127), "worker jar not found");
    }

    @Test
    void aPathThroughAFileIs126() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertMentions(refused(file.resolve("task.jar"), 126), "Not a directory");
    }

    @Test
    void anUnreadableJarIs126() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads every file");
        Path jar = jar("secret.jar", manifest("tasks.Hello"));
        Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("-w-------"));
        assertMentions(refused(jar, 126), "permission denied");
        assertMentions(refusedAsWorker(jar, 126), "permission denied");
    }

    @Test
    void aNameWithANewlineIsEscapedInTheMessage() throws Exception {
        Path missing = dir.resolve("x\nsupervisor: fine.jar");
        LaunchException e = refused(missing, 127);
        assertEquals("task jar not found: " + Printable.escape(missing.toString()), e.getMessage());
        Path fifo = fifo("evil\n\u001b[2J.jar");
        assertEquals("cannot run " + dir + "/evil\\n\\u001b[2J.jar: it is a FIFO, not a jar", refused(fifo, 126).getMessage());
        Path text = Files.writeString(dir.resolve("line\nbreak.jar"), "not a jar");
        assertMentions(refused(text, 126), "line\\nbreak.jar: not a jar");
    }

    @Test
    void aNameWithALeadingDashIsAPath() throws Exception {
        Path relative = Path.of("-" + dir.getFileName() + ".jar"); // no such file in the working directory
        assertMentions(refused(relative, 127), "task jar not found: -");
        Path dash = jar("-x.jar", manifest("tasks.Hello"));
        assertDoesNotThrow(() -> JarCheck.check(dash));
        assertMentions(refused(fifo("-f.jar"), 126), "-f.jar: it is a FIFO");
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
