package supervisor.process;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import supervisor.launch.Workdirs;
import supervisor.log.Log;
import supervisor.platform.Cgroups;

/**
 * The directories one supervised process owns, made in the temporary directory for it and
 * removed when it is released: a temporary working directory, the limits' scratch directory, a
 * private {@code TMPDIR}, the directory of its notify socket. Each is recorded with the guardian
 * before it exists; crash logs in a directory about to go are moved out first. Made on the
 * spawning thread; {@link #remove} once, by the release.
 */
final class OwnedDirectories {
    private final Guardian.Lease lease;
    private final String label;
    private Path workdir; // a temporary working directory
    private boolean keepWorkdir;
    private Path scratch;
    private volatile Path privateTmp;
    private Path notifyDir;
    private volatile Path savedCrashLog; // moved out of a temporary working directory or TMPDIR

    OwnedDirectories(Guardian.Lease lease, String label) {
        this.lease = lease;
        this.label = label;
    }

    /** A temporary working directory; kept at the release with {@code keep}, else removed. */
    Path makeWorkdir(boolean keep) throws IOException {
        keepWorkdir = keep;
        workdir = make("supervisor-task");
        return workdir;
    }

    /** A scratch directory for the limits (their JVM options files, say). */
    Path makeScratch() throws IOException {
        scratch = make("supervisor-scratch");
        return scratch;
    }

    /** The process's own {@code TMPDIR}. */
    Path makePrivateTmp() throws IOException {
        privateTmp = make("supervisor-tmp");
        return privateTmp;
    }

    /** A directory for the process's notify socket. */
    Path makeNotifyDir() throws IOException {
        notifyDir = make("supervisor-notify");
        return notifyDir;
    }

    /** The private {@code TMPDIR}, null when none was made. */
    Path privateTmp() {
        return privateTmp;
    }

    /** The process's crash log, once {@link #remove} moved it out of a directory it removed. */
    Optional<Path> savedCrashLog() {
        return Optional.ofNullable(savedCrashLog);
    }

    /**
     * Removes every directory made here, but a temporary working directory to keep (said on
     * stderr); first moves the crash logs out of the working directory and {@code TMPDIR}.
     *
     * @param pid the process's pid, whose crash log {@link #savedCrashLog} tells; -1: none started
     */
    void remove(int pid) {
        if (scratch != null) {
            Workdirs.delete(scratch);
        }
        if (workdir != null) {
            if (keepWorkdir) {
                Log.info("kept the " + label + "'s working directory " + workdir);
            } else {
                saveCrashLogs(workdir, pid);
                Workdirs.delete(workdir);
            }
        }
        if (privateTmp != null) {
            saveCrashLogs(privateTmp, pid);
            Workdirs.delete(privateTmp);
        }
        if (notifyDir != null) {
            Workdirs.delete(notifyDir);
        }
    }

    /**
     * A directory of our own in the temporary directory, recorded with the guardian before it
     * exists, by its real path: after a kill -9 of the supervisor the guardian tells the mount
     * points inside it from /proc/self/mountinfo, whose paths are canonical (a java.io.tmpdir
     * named through a symlink, or with "./" in it, hid a task's bind mount from it, and the
     * mount's contents were removed).
     */
    private Path make(String prefix) throws IOException {
        Path real = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
        for (int attempt = 0; ; attempt++) {
            Path dir = real.resolve(prefix + "-" + Cgroups.randomName());
            lease.dir(dir);
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                return dir;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 8) {
                    throw e;
                }
            }
        }
    }

    /**
     * Crash logs ({@code hs_err_pidN.log}, the process's own and its child JVMs') inside a
     * directory that is about to go are moved out first: to the supervisor's working directory,
     * else its temporary directory.
     */
    private void saveCrashLogs(Path from, int pid) {
        if (pid < 0) {
            return;
        }
        if (Files.isSymbolicLink(from)) {
            return; // the task put a link in its place: what it points to is not ours to move
        }
        List<Path> logs;
        try (Stream<Path> files = Files.list(from)) {
            // Regular files only, looked at without following a link: a link or a directory of
            // that name is the task's own, not a crash log to take out.
            logs = files.filter(f -> f.getFileName().toString().matches("hs_err_pid[0-9]+\\.log")
                    && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList();
        } catch (IOException e) {
            return; // gone already, or unreadable: nothing to save from it
        }
        for (Path log : logs) {
            Path moved = moveOut(log);
            if (moved != null && log.getFileName().toString().equals("hs_err_pid" + pid + ".log")) {
                savedCrashLog = moved;
            } else if (moved != null) {
                Log.info("moved the crash log " + log.getFileName() + " out of the " + label + "'s directory "
                        + from + " to " + moved);
            }
        }
    }

    private static Path moveOut(Path log) {
        for (Path dir : new Path[] {Path.of("").toAbsolutePath(), Path.of(System.getProperty("java.io.tmpdir"))}) {
            try {
                return Files.move(log, dir.resolve(log.getFileName()));
            } catch (AccessDeniedException e) {
                // try the next place
            } catch (IOException e) {
                Log.debug("cannot move " + log + " to " + dir + ": " + e.getMessage());
            }
        }
        return null;
    }
}
