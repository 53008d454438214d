package supervisor.cli.config;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import supervisor.launch.BeforeStart;
import supervisor.log.Printable;

/**
 * Reads a config file's lines without surprises: only a regular file (a FIFO would block the
 * open, /dev/zero never ends), at most {@link #MAX_BYTES}, UTF-8. The type is checked before the
 * open; a file replaced by a FIFO between the two would still block, which only whoever can write
 * the config's directory can do.
 */
final class ConfigFile {
    /** Far more than a file of every setting needs; a larger one is not a config file. */
    static final int MAX_BYTES = 1 << 20;

    private ConfigFile() {
    }

    /**
     * @param name the file's name as messages show it, printably escaped
     * @throws ConfigException naming the file and why it cannot be read
     */
    static List<String> lines(Path file, String name) throws ConfigException {
        // A regular file may still block its reader (a hung NFS or FUSE mount, /proc/kmsg): the
        // first SIGINT or SIGTERM ends the wait all the same.
        return BeforeStart.call("while reading the config file " + name, () -> read(file, name));
    }

    private static List<String> read(Path file, String name) throws ConfigException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot read: " + reason(e));
        }
        if (attributes.isDirectory()) {
            throw new ConfigException(name + ": cannot read: it is a directory, not a config file");
        }
        if (!attributes.isRegularFile()) {
            throw new ConfigException(name + ": cannot read: not a regular file (a FIFO, socket or device),"
                    + " expected a config file");
        }
        if (attributes.size() > MAX_BYTES) {
            throw tooLarge(name);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            // Bounded again: the size is a hint, a file may grow, and /proc files say 0. Plain
            // reads: readNBytes(int) would seek, which a pipe-like file refuses ("Illegal seek").
            ByteArrayOutputStream read = new ByteArrayOutputStream();
            byte[] chunk = new byte[8192];
            int n;
            while (read.size() <= MAX_BYTES && (n = in.read(chunk)) > 0) {
                read.write(chunk, 0, n);
            }
            bytes = read.toByteArray();
        } catch (IOException e) {
            throw new ConfigException(name + ": cannot read: " + reason(e));
        }
        if (bytes.length > MAX_BYTES) {
            throw tooLarge(name);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, bom(bytes), bytes.length - bom(bytes))).toString().lines().toList();
        } catch (CharacterCodingException e) {
            throw new ConfigException(name + ": cannot read: not UTF-8 text");
        }
    }

    /** The length of a UTF-8 byte order mark at the start (editors on Windows write one): skipped. */
    private static int bom(byte[] bytes) {
        return bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF ? 3 : 0;
    }

    private static ConfigException tooLarge(String name) {
        return new ConfigException(name + ": cannot read: larger than 1M (" + MAX_BYTES
                + " bytes), too large for a config file");
    }

    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return Printable.escape(f.getReason()); // ELOOP, ENOTDIR, ...
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : Printable.escape(e.getMessage());
    }
}
