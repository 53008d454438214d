package supervisor.confine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Uids allocated for one run each, as systemd's {@code DynamicUser=} does, from the same range.
 * A uid is held by a lock on the file {@code /run/supervisor/dynamic-uid/UID}: a POSIX record
 * lock, which the kernel drops when the holder dies, so a {@code kill -9} of the supervisor frees
 * its uids without a pid in a file that a recycled pid could fake. The file itself stays (it holds
 * nothing). A uid is skipped when the system knows it (/etc/passwd), systemd holds it
 * ({@code /run/systemd/dynamic-uid/UID}), or a process runs as it (one that outlived a crash).
 * The gid is the same number.
 */
final class DynamicUsers {
    static final int FIRST = 61184;
    static final int LAST = 65519;
    static final Path LOCKS = Path.of("/run/supervisor/dynamic-uid");

    private DynamicUsers() {
    }

    /** A uid held until {@link Held#close()}. */
    record Held(int uid, FileChannel channel, FileLock lock) implements AutoCloseable {
        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // The lock goes with the channel, which the JVM's exit closes in any case.
            }
        }
    }

    /** @throws IOException when no uid is free, or the lock directory cannot be made */
    static Held allocate() throws IOException {
        Files.createDirectories(LOCKS, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Set<Integer> known = knownUids();
        Set<Integer> running = runningUids();
        int span = LAST - FIRST + 1;
        int start = ThreadLocalRandom.current().nextInt(span); // spread runs out: fewer collisions between supervisors
        for (int i = 0; i < span; i++) {
            int uid = FIRST + (start + i) % span;
            if (known.contains(uid) || running.contains(uid)
                    || Files.exists(Path.of("/run/systemd/dynamic-uid", Integer.toString(uid)), LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            FileChannel channel = FileChannel.open(LOCKS.resolve(Integer.toString(uid)),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this JVM holds it for another run
            }
            if (lock != null) {
                return new Held(uid, channel, lock);
            }
            channel.close();
        }
        throw new IOException("every uid from " + FIRST + " to " + LAST + " is in use");
    }

    private static Set<Integer> knownUids() {
        Set<Integer> uids = new HashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 2 && !f[2].isEmpty() && f[2].chars().allMatch(Character::isDigit) && f[2].length() < 10) {
                    uids.add(Integer.parseInt(f[2]));
                }
            }
        } catch (IOException e) {
            // no /etc/passwd: no user is known to it
        }
        return uids;
    }

    /** The owners of /proc's process directories: a uid a process still runs as is not free. */
    private static Set<Integer> runningUids() throws IOException {
        Set<Integer> uids = new HashSet<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    uids.add(((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue());
                } catch (IOException e) {
                    // gone meanwhile
                }
            }
        }
        return uids;
    }
}
