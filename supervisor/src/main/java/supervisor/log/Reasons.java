package supervisor.log;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * A failure as a plain reason for a line: the path and what is wrong with it ("no such file",
 * "permission denied"), never the exception's class name (the JDK's file exceptions carry only
 * the path as their message, and toString() puts the class before it).
 */
public final class Reasons {
    private Reasons() {
    }

    /** The failure with the file it names, if any: {@code /tmp/x: permission denied}. */
    public static String of(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            return of(u.getCause());
        }
        if (e instanceof FileSystemException f) {
            String path = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
            return path.isEmpty() ? reason(e) : path + ": " + reason(e);
        }
        return reason(e);
    }

    /**
     * The failure alone, for a line that already names the file: {@code permission denied}. The
     * errno's text where the JDK kept it ("Read-only file system"), else the subclass in words.
     */
    public static String reason(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            return reason(u.getCause());
        }
        if (e instanceof FileSystemException f) {
            return e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof DirectoryNotEmptyException ? "directory not empty"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : e instanceof FileSystemLoopException ? "a symlink loop"
                    : f.getReason() != null ? Printable.escape(f.getReason()) : "an I/O error";
        }
        String m = e.getMessage();
        if (m != null && !m.isBlank()) {
            return Printable.escape(m);
        }
        return "an unexpected failure that gave no reason (-v shows more)";
    }
}
