package supervisor.launch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Refuses a jar that {@code java -jar} could not run, before anything starts: the status says
 * which (127: no such file; 126: there, but not runnable), the message says why.
 */
public final class JarCheck {
    private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};

    private JarCheck() {
    }

    /**
     * Refuses a jar that cannot be a pool worker: 127 when it does not exist, 126 when it is not
     * a readable jar naming a Task-Class in its manifest.
     */
    public static void checkWorker(Path jar) throws LaunchException {
        if (!Files.exists(jar)) {
            throw new LaunchException(127, "worker jar not found: " + jar);
        }
        if (Files.isDirectory(jar) || !Files.isReadable(jar)) {
            throw new LaunchException(126, "cannot use " + jar + " as a worker: "
                    + (Files.isDirectory(jar) ? "it is a directory" : "permission denied"));
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest m = file.getManifest();
            String task = m == null ? null : m.getMainAttributes().getValue("Task-Class");
            if (task == null || task.isBlank()) {
                throw new LaunchException(126, "cannot use " + jar + " as a worker: no Task-Class in its manifest");
            }
        } catch (IOException e) {
            throw new LaunchException(126, "cannot use " + jar + " as a worker: not a jar (" + e.getMessage() + ")");
        }
    }

    public static void check(Path jar) throws LaunchException {
        if (!Files.exists(jar)) {
            throw new LaunchException(127, "task jar not found: " + jar);
        }
        if (Files.isDirectory(jar)) {
            throw new LaunchException(126, "cannot run " + jar + ": it is a directory, not a jar");
        }
        if (!Files.isReadable(jar)) {
            throw new LaunchException(126, "cannot run " + jar + ": permission denied");
        }
        byte[] head = new byte[4];
        int n;
        try (InputStream in = Files.newInputStream(jar)) {
            n = in.readNBytes(head, 0, 4);
        } catch (IOException e) {
            throw new LaunchException(126, "cannot run " + jar + ": " + e.getMessage());
        }
        if (n < 4 || head[0] != ZIP_MAGIC[0] || head[1] != ZIP_MAGIC[1] || head[2] != ZIP_MAGIC[2]
                || head[3] != ZIP_MAGIC[3]) {
            throw new LaunchException(126, "cannot run " + jar + ": not a jar (no zip signature)");
        }
        Manifest manifest;
        try (JarFile file = new JarFile(jar.toFile())) {
            manifest = file.getManifest();
        } catch (IOException e) {
            throw new LaunchException(126, "cannot run " + jar + ": corrupt jar (" + e.getMessage() + ")");
        }
        String main = manifest == null ? null : manifest.getMainAttributes().getValue("Main-Class");
        if (main == null || main.isBlank()) {
            throw new LaunchException(126, "cannot run " + jar + ": no Main-Class in its manifest");
        }
    }
}
