package supervisor.launch;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import supervisor.log.Reasons;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.platform.ProcFs;

/**
 * Private temporary directories for tasks and workers, and their removal.
 *
 * <p>The removal never leaves the directory it was given: a task (as root) may bind-mount any
 * directory into its own, and a removal that went in would empty it. It works relative to open
 * directories ({@link SecureDirectoryStream}: openat, unlinkat, fstatat, never following a link),
 * so no path is ever longer than one name and a tree deeper than PATH_MAX goes like any other; it
 * holds at most three descriptors whatever the depth (it climbs back through "..", checking that
 * it lands in the directory it came from). A mount point inside is never entered: one is any
 * directory listed in /proc/self/mountinfo, or on another device than the directory itself.
 * The device alone is not enough: a bind mount of a directory of the same filesystem has the same
 * st_dev. Why mountinfo rather than statx's STATX_ATTR_MOUNT_ROOT or openat2's RESOLVE_NO_XDEV:
 * no native code, and any kernel (those need 5.8 and 5.6); it is read once per non-empty
 * directory, which cost 0.34 ms with 21 mounts and 13 ms with 5,021 (ProcFs.mountPoints, measured
 * on a shared 2-core machine, the 5,000 tmpfs mounts in a mount namespace of their own), against
 * a JVM task's start of 100 ms or more.
 */
public final class Workdirs {
    /** A path in a message is cut beyond this many characters: a message is one short line. */
    private static final int MAX_NAMED = 200;

    private Workdirs() {
    }

    /** Removes {@code dir} and everything in it but mount points; says in one line what it left. */
    public static void delete(Path dir) {
        String left = remove(dir);
        if (left != null) {
            Log.warn("left " + named(dir.toString()) + " in place: " + left);
        }
    }

    /**
     * Removes {@code dir} and everything in it, but never a mount point inside it nor anything
     * under one, and never through a link.
     *
     * @return null when it is gone, else why it (or part of it) was left, in a few words
     */
    static String remove(Path dir) {
        try {
            // An empty directory (a task that never started) goes without a walk, which needs a
            // file descriptor that a process at its RLIMIT_NOFILE does not have. rmdir cannot
            // cross anything; a link put in the directory's place is removed, not followed.
            Files.deleteIfExists(dir);
            return null;
        } catch (IOException e) {
            // not empty, or a mount point (EBUSY): see below
        }
        Path parentPath = dir.toAbsolutePath().getParent();
        Path name = dir.getFileName();
        if (parentPath == null || name == null) {
            return "it is not a directory the supervisor made";
        }
        String here;
        List<String> inside = new ArrayList<>();
        try {
            here = parentPath.toRealPath().resolve(name).toString();
            for (String m : ProcFs.mountPoints()) {
                if (m.equals(here)) {
                    return "it is a mount point";
                }
                if (m.startsWith(here + "/")) {
                    inside.add(m);
                }
            }
        } catch (IOException e) {
            return "cannot read the mount points (" + Reasons.reason(e) + "), so it was not entered";
        }
        try (DirectoryStream<Path> p = Files.newDirectoryStream(parentPath)) {
            if (!(p instanceof SecureDirectoryStream<Path> parent)) {
                return "this system cannot remove it without following links";
            }
            Walk walk = new Walk(here, Set.copyOf(inside));
            walk.clear(parent.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS));
            if (walk.left()) {
                return walk.why();
            }
            parent.deleteDirectory(name);
            return null;
        } catch (NoSuchFileException e) {
            return null; // gone already
        } catch (IOException | DirectoryIteratorException e) {
            IOException io = e instanceof DirectoryIteratorException d ? d.getCause() : (IOException) e;
            return "cannot remove it: " + Reasons.reason(io);
        }
    }

    /** A path for a message: whole up to {@link #MAX_NAMED} characters, else its two ends. */
    static String named(String path) {
        String p = Printable.escape(path);
        if (p.length() <= MAX_NAMED) {
            return p;
        }
        return p.substring(0, MAX_NAMED / 2) + "...(" + (p.length() - MAX_NAMED) + " more characters)..."
                + p.substring(p.length() - MAX_NAMED / 2);
    }

    /** Empties one directory tree, depth first, with at most three descriptors open. */
    private static final class Walk {
        private final StringBuilder path; // of the directory being emptied, for mount points and messages
        private final Set<String> mounts;
        private final Set<Object> kept = new HashSet<>(); // file keys of what stays: not entered again
        private final List<String> mountsLeft = new ArrayList<>();
        private String failure; // the first thing that could not be removed, and why

        Walk(String root, Set<String> mounts) {
            this.path = new StringBuilder(root);
            this.mounts = mounts;
        }

        boolean left() {
            return !mountsLeft.isEmpty() || failure != null;
        }

        String why() {
            String why = null;
            if (!mountsLeft.isEmpty()) {
                why = (mountsLeft.size() == 1 ? "a mount point is inside it (" : mountsLeft.size() + " mount points are inside it (")
                        + named(mountsLeft.get(0)) + (mountsLeft.size() > 1 ? ", ..." : "") + ")";
            }
            if (failure != null) {
                why = why == null ? failure : why + "; " + failure;
            }
            return why;
        }

        /** Empties {@code root} (which it closes); what it cannot remove is recorded, not thrown. */
        void clear(SecureDirectoryStream<Path> root) throws IOException {
            SecureDirectoryStream<Path> current = root;
            try {
                String rootDevice = device(key(current));
                Deque<Object> above = new ArrayDeque<>(); // file keys of the directories above current
                Deque<Path> names = new ArrayDeque<>(); // current's name in each of them
                while (true) {
                    Path down = null;
                    Object downKey = null;
                    for (Path entry : current) {
                        Path n = entry.getFileName(); // only the name: the stream resolves it from its descriptor
                        BasicFileAttributes a;
                        try {
                            a = current.getFileAttributeView(n, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                                    .readAttributes();
                        } catch (NoSuchFileException e) {
                            continue;
                        }
                        if (kept.contains(a.fileKey())) {
                            continue;
                        }
                        if (!a.isDirectory()) {
                            delete(current, n, a, false);
                            continue;
                        }
                        String device = device(a.fileKey());
                        String full = mounts.isEmpty() && device.equals(rootDevice) ? null : path + "/" + n;
                        if (full != null && (mounts.contains(full) || !device.equals(rootDevice))) {
                            mountsLeft.add(full);
                            kept.add(a.fileKey());
                            continue;
                        }
                        if (!delete(current, n, a, true)) {
                            down = n;
                            downKey = a.fileKey();
                            break;
                        }
                    }
                    if (down != null) {
                        SecureDirectoryStream<Path> child = current.newDirectoryStream(down, LinkOption.NOFOLLOW_LINKS);
                        if (!key(child).equals(downKey)) {
                            child.close(); // replaced since it was looked at: not ours to enter
                            kept.add(downKey);
                            continue;
                        }
                        above.push(key(current));
                        names.push(down);
                        path.append('/').append(down);
                        current.close();
                        current = child;
                        continue;
                    }
                    if (above.isEmpty()) {
                        return;
                    }
                    Object done = key(current);
                    SecureDirectoryStream<Path> up = current.newDirectoryStream(Path.of(".."), LinkOption.NOFOLLOW_LINKS);
                    if (!key(up).equals(above.peek())) {
                        up.close();
                        fail(path.toString(), "it was moved while it was being removed");
                        return;
                    }
                    current.close();
                    current = up;
                    above.pop();
                    Path n = names.pop();
                    path.setLength(path.length() - n.toString().length() - 1);
                    try {
                        current.deleteDirectory(n);
                    } catch (NoSuchFileException e) {
                        // gone already
                    } catch (IOException e) {
                        kept.add(done); // what is left in it has been said
                        if (!(e instanceof DirectoryNotEmptyException)) {
                            fail(path + "/" + n, Reasons.reason(e));
                        }
                    }
                }
            } finally {
                current.close();
            }
        }

        /** Removes one entry; false for a directory that is not empty (to be entered). */
        private boolean delete(SecureDirectoryStream<Path> in, Path n, BasicFileAttributes a, boolean directory) {
            try {
                if (directory) {
                    in.deleteDirectory(n);
                } else {
                    in.deleteFile(n);
                }
            } catch (DirectoryNotEmptyException e) {
                return false;
            } catch (NoSuchFileException e) {
                // gone already
            } catch (IOException e) {
                kept.add(a.fileKey());
                fail(path + "/" + n, Reasons.reason(e));
            }
            return true;
        }

        private void fail(String what, String why) {
            if (failure == null) {
                failure = "cannot remove " + named(what) + ": " + why;
            }
        }

        private static Object key(SecureDirectoryStream<Path> d) throws IOException {
            return d.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
        }

        /**
         * The device of a file key. On Linux the JDK's key prints as "(dev=803,ino=1234)"; when it
         * does not, every entry counts as on the same device and mountinfo alone decides.
         */
        private static String device(Object key) {
            String k = String.valueOf(key);
            int from = k.indexOf("dev=");
            int to = k.indexOf(',', from);
            return from < 0 || to < 0 ? "" : k.substring(from + 4, to);
        }
    }
}
