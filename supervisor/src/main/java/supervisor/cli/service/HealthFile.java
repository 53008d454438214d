package supervisor.cli.service;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.log.Reasons;
import supervisor.platform.Cgroups;

/**
 * The task's state for probes that run a command ({@code --health-file}): a Kubernetes exec
 * probe, a Docker HEALTHCHECK, a script. Kubernetes has no notify socket and no watchdog to
 * hear; its kubelet runs a command in the container, which reads this file
 * ({@code supervisor probe}, {@link HealthRecord}). The file says whether the task is ready
 * ({@code --ready} passed), and when it was last found healthy: the {@link Watchdog}'s beat, the
 * same check as systemd's watchdog, writes the time; a task that is frozen, gone or no longer
 * passes its probe gets no new beat, and the file goes stale.
 *
 * <p>The file is the supervisor's own, and nothing else is ever written through its name: its
 * directory is opened once and held (openat), each version is a new file made in it
 * ({@code O_CREAT|O_EXCL|O_NOFOLLOW}, so never through a link) and renamed over the name
 * (renameat: a reader sees the old version or the new one, never half of one). A rename replaces
 * what the name is, so before each one the name must be empty, or the very file the last rename
 * put there (device and inode): a file someone else put there since is left alone, and the
 * supervisor stops writing (said once). At the start, an existing file is taken over only if it
 * is a regular file of this user that begins as a health file does (a previous run's, say, after
 * a container restart kept the volume); anything else is a usage error. At the end the file is
 * removed, if it is still the supervisor's.
 *
 * <p>Thread-safe: the beats come from the watchdog's thread, the states from the run's loop.
 */
public final class HealthFile implements AutoCloseable {
    private final Path path;
    private final SecureDirectoryStream<Path> dir;
    private final Path name;
    private final String readiness;
    private String state = HealthRecord.STARTING; // guarded by this
    private String problem; // guarded by this
    private long beatMillis; // guarded by this: 0 until the first beat
    /** The file the last rename put at the name; at first the previous run's, if one was there. */
    private Object ours; // guarded by this
    /** No more writes: the run is over, or the name holds someone else's file now. */
    private boolean done; // guarded by this
    private boolean closed; // guarded by this
    private boolean warned; // guarded by this

    private HealthFile(Path path, SecureDirectoryStream<Path> dir, Object previous, String readiness) {
        this.path = path;
        this.dir = dir;
        this.name = path.getFileName();
        this.ours = previous;
        this.readiness = readiness;
    }

    /**
     * Opens the file's directory and checks that the supervisor may keep the file there: a file
     * can be made in the directory, and the name is free or holds a health file of this user.
     * Nothing is written until the first state.
     *
     * @param readiness what ready means, for the file and the probe's line ("127.0.0.1:8080 accepts connections")
     * @throws IllegalArgumentException naming the path and the problem, for a usage error
     */
    public static HealthFile open(Path path, String readiness) {
        String quoted = Printable.quote(path.toString());
        Path parent = path.toAbsolutePath().getParent();
        if (path.getFileName() == null || parent == null) {
            throw new IllegalArgumentException(quoted + " names no file");
        }
        SecureDirectoryStream<Path> dir;
        try {
            DirectoryStream<Path> stream = Files.newDirectoryStream(parent);
            if (!(stream instanceof SecureDirectoryStream<Path> secure)) {
                stream.close(); // Linux always gives one; without it the directory cannot be held
                throw new IllegalArgumentException("cannot hold the directory of " + quoted + " open");
            }
            dir = secure;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such directory: " + Printable.quote(parent.toString()));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot open the directory " + Printable.quote(parent.toString())
                    + ": " + Reasons.reason(e));
        }
        try {
            Path name = path.getFileName();
            // A file made now, as every version will be: it says the directory takes files, and whose they are.
            Path probe = newTemp(dir, name);
            UserPrincipal me;
            try {
                me = attributes(dir, probe).owner();
            } finally {
                dir.deleteFile(probe);
            }
            Object previous = null;
            PosixFileAttributes there = attributesOrNull(dir, name);
            if (there != null) {
                if (there.isSymbolicLink()) {
                    throw new IllegalArgumentException(quoted + " is a symbolic link, which the health file would"
                            + " replace; name a file in a directory of the supervisor's own");
                }
                if (!there.isRegularFile()) {
                    throw new IllegalArgumentException(quoted + " is not a regular file, which the health file would replace");
                }
                if (!there.owner().equals(me)) {
                    throw new IllegalArgumentException(quoted + " belongs to another user, and is not this"
                            + " supervisor's to replace");
                }
                if (!HealthRecord.isHealthFile(firstBytes(dir, name))) {
                    throw new IllegalArgumentException(quoted + " is not a health file (it does not begin with '"
                            + HealthRecord.SIGNATURE + "'), and is not the supervisor's to replace");
                }
                previous = there.fileKey();
            }
            return new HealthFile(path, dir, previous, readiness);
        } catch (IOException e) {
            close(dir);
            throw new IllegalArgumentException("cannot make a file in " + Printable.quote(parent.toString())
                    + ": " + Reasons.reason(e));
        } catch (RuntimeException e) {
            close(dir);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The task runs, and is not ready yet: written at once. */
    public synchronized void starting() {
        state = HealthRecord.STARTING;
        write();
    }

    /** The task passed {@code --ready}: written at once, with a beat. */
    public synchronized void ready() {
        state = HealthRecord.READY;
        problem = null;
        beatMillis = System.currentTimeMillis();
        write();
    }

    /** A stop began: written at once; the probe says not ready from now on. */
    public synchronized void stopping(String why) {
        state = HealthRecord.STOPPING;
        problem = why;
        write();
    }

    /** A watchdog beat: the task was found healthy now. */
    synchronized void beat() {
        if (state.equals(HealthRecord.UNHEALTHY)) {
            state = HealthRecord.READY; // only a ready task is ever found unhealthy
        }
        if (!state.equals(HealthRecord.STOPPING)) {
            problem = null;
        }
        beatMillis = System.currentTimeMillis();
        write();
    }

    /**
     * A watchdog beat that found the task unhealthy: no new beat time, so the file goes stale; a
     * ready task is marked unhealthy at once (a probe says not ready now, not alive once stale).
     */
    synchronized void unhealthy(String why) {
        if (state.equals(HealthRecord.READY)) {
            state = HealthRecord.UNHEALTHY;
        }
        if (!state.equals(HealthRecord.STOPPING)) {
            problem = why;
        }
        write();
    }

    /** Removes the file, if it is still the one the supervisor wrote, and writes no more. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        done = true;
        try {
            PosixFileAttributes there = attributesOrNull(dir, name);
            if (there != null && ours != null && Objects.equals(there.fileKey(), ours)) {
                dir.deleteFile(name);
            }
        } catch (IOException e) {
            Log.debug("cannot remove the health file " + Printable.quote(path.toString()) + ": " + Reasons.reason(e));
        } finally {
            close(dir);
        }
    }

    /** The current state as a new version of the file; a failure is said once, and the next beat tries again. */
    private void write() {
        if (done) {
            return;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("state", state);
        fields.put("beat", Long.toString(beatMillis));
        fields.put("written", Long.toString(System.currentTimeMillis()));
        fields.put("pid", Long.toString(ProcessHandle.current().pid()));
        fields.put("ready", readiness);
        if (problem != null) {
            fields.put("problem", problem);
        }
        byte[] bytes = HealthRecord.render(fields).getBytes(StandardCharsets.UTF_8);
        Path temp = null;
        try {
            temp = newTemp(dir, name);
            try (SeekableByteChannel c = dir.newByteChannel(temp, Set.of(StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS))) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    c.write(b);
                }
            }
            Object made = attributes(dir, temp).fileKey();
            PosixFileAttributes there = attributesOrNull(dir, name);
            if (there != null && !Objects.equals(there.fileKey(), ours)) {
                // Someone else's file now: not ours to replace, now or later.
                dir.deleteFile(temp);
                temp = null;
                done = true;
                Log.warn("the health file " + Printable.quote(path.toString()) + " was replaced by another file,"
                        + " which the supervisor leaves alone: it no longer writes the task's health there");
                return;
            }
            dir.move(temp, dir, name); // renameat, in the directory held since the start
            temp = null;
            ours = made;
        } catch (IOException | RuntimeException e) {
            if (!warned) {
                warned = true;
                Log.warn("cannot write the health file " + Printable.quote(path.toString()) + ": " + Reasons.reason(e)
                        + "; trying again at each beat (further failures are not reported)");
            }
        } finally {
            if (temp != null) {
                try {
                    dir.deleteFile(temp);
                } catch (IOException e) {
                    // gone with its directory: nothing to clean
                }
            }
        }
    }

    /** A new, empty file beside the name: ".NAME.RANDOM.tmp", made with O_EXCL and never through a link. */
    private static Path newTemp(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path temp = Path.of("." + name + "." + Cgroups.randomName() + ".tmp");
            try {
                dir.newByteChannel(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 8) {
                    throw e;
                }
            }
        }
    }

    private static PosixFileAttributes attributes(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        return dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
    }

    private static PosixFileAttributes attributesOrNull(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        try {
            return attributes(dir, name);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The first bytes of the file, read without following a link: enough for the signature. */
    private static byte[] firstBytes(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        try (SeekableByteChannel c = dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            ByteBuffer b = ByteBuffer.allocate(HealthRecord.SIGNATURE.length() + 1);
            while (b.hasRemaining() && c.read(b) > 0) {
                // until the signature and its newline are in, or the file ends
            }
            byte[] bytes = new byte[b.position()];
            b.flip().get(bytes);
            return bytes;
        }
    }

    private static void close(SecureDirectoryStream<Path> dir) {
        try {
            dir.close();
        } catch (IOException e) {
            // nothing more to do
        }
    }
}
