package supervisor.launch;

import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import supervisor.log.Printable;

/**
 * Refuses a jar that {@code java -jar} could not run, before anything starts: the status says
 * which (127: no such file; 126: there, but not runnable), the message says why and names the
 * path printably escaped.
 *
 * <p>It never blocks on a FIFO: the check runs before any timeout is armed, so a FIFO opened for
 * reading would hang the supervisor until a writer came. The file's type is read with stat(2)
 * first and only a regular file is ever opened. A regular file that blocks all the same (a hung
 * NFS or FUSE mount) is waited for through {@link BeforeStart}: the first SIGINT or SIGTERM ends
 * the wait. A regular file replaced by a FIFO between the stat and the
 * open would still block; only whoever can write the jar's directory can do that, and the jar is
 * theirs to run anyway.
 */
public final class JarCheck {
    private static final byte[] ZIP_MAGIC = {'P', 'K', 3, 4};
    /** S_IFMT and the file types of stat(2), from sys/stat.h. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFSOCK = 0140000;

    private JarCheck() {
    }

    /**
     * Refuses a jar that cannot be a pool worker: 127 when it does not exist, 126 when it is not
     * a readable jar naming a Task-Class in its manifest.
     *
     * @return the Task-Class it names
     */
    public static String checkWorker(Path jar) throws LaunchException {
        return checkWorker(jar, true);
    }

    /**
     * Refuses a file that is not a readable jar; with {@code needTaskClass}, one that names no
     * Task-Class in its manifest (a -Dsupervisor.task.class option makes it needless). The
     * Task-Class named, or null.
     */
    public static String checkWorker(Path jar, boolean needTaskClass) throws LaunchException {
        String cannot = "cannot use " + Printable.escape(jar.toString()) + " as a worker: ";
        regularReadableFile(jar, "worker jar not found: ", cannot);
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest m = file.getManifest();
            String task = m == null ? null : m.getMainAttributes().getValue("Task-Class");
            if (task == null || task.isBlank()) {
                if (!needTaskClass) {
                    return null;
                }
                throw LaunchException.cannotRun(cannot + "no Task-Class in its manifest");
            }
            return task.trim();
        } catch (IOException e) {
            throw new LaunchException(status(e), cannot + "not a jar (" + Printable.escape(String.valueOf(e.getMessage())) + ")");
        }
    }

    /**
     * Refuses a jar that {@code java -jar} could not run: 127 when it does not exist, 126 when it
     * is not a readable jar naming a Main-Class in its manifest.
     */
    public static void check(Path jar) throws LaunchException {
        BeforeStart.call("while checking the task jar " + Printable.escape(jar.toString()), () -> {
            task(jar);
            return null;
        });
    }

    private static void task(Path jar) throws LaunchException {
        String cannot = "cannot run " + Printable.escape(jar.toString()) + ": ";
        regularReadableFile(jar, "task jar not found: ", cannot);
        byte[] head = new byte[4];
        int n;
        // java.io, not Files.newInputStream: NIO's first channel costs 1-2 ms to set up, on a
        // one-shot run's critical path.
        try (InputStream in = new FileInputStream(jar.toFile())) {
            n = in.readNBytes(head, 0, 4);
        } catch (IOException e) {
            throw new LaunchException(status(e), cannot + reason(e));
        }
        if (n < 4 || head[0] != ZIP_MAGIC[0] || head[1] != ZIP_MAGIC[1] || head[2] != ZIP_MAGIC[2]
                || head[3] != ZIP_MAGIC[3]) {
            throw LaunchException.cannotRun(cannot + "not a jar (no zip signature)");
        }
        Manifest manifest;
        try (JarFile file = new JarFile(jar.toFile())) {
            manifest = file.getManifest();
        } catch (IOException e) {
            throw new LaunchException(status(e), cannot + "corrupt jar (" + Printable.escape(String.valueOf(e.getMessage())) + ")");
        }
        String main = manifest == null ? null : manifest.getMainAttributes().getValue("Main-Class");
        if (main == null || main.isBlank()) {
            throw LaunchException.cannotRun(cannot + "no Main-Class in its manifest");
        }
    }

    /**
     * 127 when nothing is there (a dangling symlink included), 126 for anything but a readable
     * regular file; stat(2) and access(2) only, no open.
     */
    private static void regularReadableFile(Path jar, String notFound, String cannot) throws LaunchException {
        Map<String, Object> attributes;
        try {
            // Follows symlinks, as java -jar will: a symlink loop fails here with ELOOP.
            attributes = Files.readAttributes(jar, "unix:mode,isDirectory,isRegularFile");
        } catch (NoSuchFileException e) {
            throw new LaunchException(LaunchException.NOT_FOUND, notFound + Printable.escape(jar.toString()));
        } catch (IOException e) {
            throw new LaunchException(status(e), cannot + reason(e));
        }
        if (Boolean.TRUE.equals(attributes.get("isDirectory"))) {
            throw LaunchException.cannotRun(cannot + "it is a directory, not a jar");
        }
        if (!Boolean.TRUE.equals(attributes.get("isRegularFile"))) {
            throw LaunchException.cannotRun(cannot + "it is " + type((Integer) attributes.get("mode")) + ", not a jar");
        }
        if (!Files.isReadable(jar)) {
            throw LaunchException.cannotRun(cannot + "permission denied");
        }
    }

    private static String type(int mode) {
        return switch (mode & S_IFMT) {
            case S_IFIFO -> "a FIFO";
            case S_IFSOCK -> "a socket";
            case S_IFCHR -> "a character device";
            case S_IFBLK -> "a block device";
            default -> "a special file";
        };
    }

    /**
     * 126 for a jar that cannot be run; 125 when the supervisor itself is short of descriptors or
     * memory to read it (EMFILE, ENFILE, ENOMEM): the jar may well be fine.
     */
    private static int status(IOException e) {
        String m = String.valueOf(e.getMessage()) + " " + (e instanceof FileSystemException f ? f.getReason() : "");
        boolean ours = m.contains("Too many open files") || m.contains("Cannot allocate memory");
        return ours ? LaunchException.SUPERVISOR_FAILED : LaunchException.CANNOT_RUN;
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileNotFoundException && e.getMessage() != null && e.getMessage().endsWith(")")) {
            // java.io's "PATH (Permission denied)": the reason only, as NIO gives it.
            String m = e.getMessage();
            String why = m.substring(m.lastIndexOf('(') + 1, m.length() - 1);
            return why.equals("Permission denied") ? "permission denied" : Printable.escape(why);
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason(); // "Too many levels of symbolic links", "Not a directory"
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : Printable.escape(e.getMessage());
    }
}
