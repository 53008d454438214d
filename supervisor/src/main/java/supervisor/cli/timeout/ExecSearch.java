package supervisor.cli.timeout;

import java.io.File;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Finds COMMAND as glibc's {@code execvp} does, and fails with the error it would, so that the
 * status and the message are GNU timeout's: 127 "No such file or directory" when nothing is there,
 * 126 for everything else ("Permission denied" for a directory or a file without execute
 * permission, "Not a directory"). A name with a slash is a path; any other is tried in each
 * directory of PATH (an empty entry is the working directory; no PATH at all is
 * {@code /bin:/usr/bin}): a directory that does not have it, or is not a directory, is skipped,
 * one that has it without permission is remembered and skipped, and any other error ends the search.
 */
final class ExecSearch {
    static final int CANNOT_INVOKE = 126;
    static final int NOT_FOUND = 127;
    private static final String DEFAULT_PATH = "/bin:/usr/bin";
    private static final String ENOENT = "No such file or directory";
    private static final String EACCES = "Permission denied";
    private static final String ENOTDIR = "Not a directory";

    /** The program found, or why not: the status and strerror's words. */
    record Found(String path, int status, String error) {
        boolean ok() {
            return path != null;
        }
    }

    private ExecSearch() {
    }

    static Found find(String name, String pathVariable) {
        if (name.isEmpty()) {
            return new Found(null, NOT_FOUND, ENOENT);
        }
        if (name.indexOf('/') >= 0) {
            String error = check(name);
            return error == null ? new Found(name, 0, null) : failed(error);
        }
        boolean denied = false;
        String last = ENOENT;
        for (String dir : (pathVariable == null ? DEFAULT_PATH : pathVariable).split(":", -1)) {
            String candidate = dir.isEmpty() ? name : dir.endsWith("/") ? dir + name : dir + "/" + name;
            String error = check(candidate);
            if (error == null) {
                return new Found(candidate, 0, null);
            }
            if (error.equals(EACCES)) {
                denied = true;
            } else if (!error.equals(ENOENT) && !error.equals(ENOTDIR)) {
                return failed(error); // ELOOP, ENAMETOOLONG, ...: execvp stops there
            }
            last = error;
        }
        return failed(denied ? EACCES : last);
    }

    private static Found failed(String error) {
        return new Found(null, error.equals(ENOENT) ? NOT_FOUND : CANNOT_INVOKE, error);
    }

    /** Null when execve would run {@code path}; else strerror of the error it would fail with. */
    private static String check(String path) {
        File file = new File(path);
        if (!path.endsWith("/") && file.isFile() && file.canExecute()) {
            return null; // the common case, without NIO's exceptions
        }
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(Path.of(path), BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return missing(path);
        } catch (AccessDeniedException e) {
            return EACCES; // a directory on the way without search permission
        } catch (FileSystemException e) {
            String reason = e.getReason() == null ? EACCES : e.getReason();
            // The JDK adds words of its own to some (ELOOP's "... or unable to access attributes of symbolic link").
            for (String known : new String[] {ENOTDIR, "Too many levels of symbolic links", "File name too long"}) {
                if (reason.startsWith(known)) {
                    return known;
                }
            }
            return reason;
        } catch (IOException | RuntimeException e) {
            return EACCES;
        }
        if (path.endsWith("/") && !attributes.isDirectory()) {
            return ENOTDIR; // "file/": the kernel wants a directory there
        }
        // A directory, a FIFO, a device, or a file without execute permission: execve says EACCES.
        return EACCES;
    }

    /**
     * Why a path that is not there is not: ENOTDIR when a component on the way is not a directory
     * ("/etc/passwd/x"), else ENOENT. (JDK 25 reports both as NoSuchFileException.)
     */
    private static String missing(String path) {
        int slash = path.indexOf('/', 1);
        while (slash > 0) {
            File prefix = new File(path.substring(0, slash));
            if (!prefix.exists()) {
                return ENOENT;
            }
            if (!prefix.isDirectory()) {
                return ENOTDIR;
            }
            slash = path.indexOf('/', slash + 1);
        }
        return ENOENT;
    }
}
