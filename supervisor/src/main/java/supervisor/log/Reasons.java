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

    public static String of(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null) {
            return of(u.getCause());
        }
        if (e instanceof FileSystemException f) {
            String what = e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof DirectoryNotEmptyException ? "directory not empty"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : e instanceof FileSystemLoopException ? "a symlink loop"
                    : f.getReason() != null ? f.getReason() : "cannot be used";
            String path = f.getFile() == null ? "" : f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
            return path.isEmpty() ? what : path + ": " + what;
        }
        String m = e.getMessage();
        if (m != null && !m.isBlank()) {
            return m;
        }
        return "an unexpected failure that gave no reason (-v shows more)";
    }
}
