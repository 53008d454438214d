package supervisor.diagnose;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a HotSpot JVM says of itself in its performance data file,
 * {@code /tmp/hsperfdata_USER/PID} (the file jps and jcmd read): only whether it allows attach.
 * That is the first character of the string counter {@code sun.rt.jvmCapabilities}, '1' unless
 * it runs with {@code -XX:+DisableAttachMechanism} (HotSpot's {@code RuntimeService::init}); the
 * JDK's own attach client refuses such a JVM by the same test.
 *
 * <p>The layout is HotSpot's {@code perfMemory.hpp}: a prologue (magic {@code 0xcafec0c0}, the
 * byte order of what follows, ..., the offset and number of entries), then entries, each with its
 * length, the offsets of its name and of its data from its own start, and a vector length.
 */
final class PerfData {
    private static final int MAGIC = 0xcafec0c0;
    private static final String CAPABILITIES = "sun.rt.jvmCapabilities";
    /** HotSpot's default PerfDataMemorySize is 64K; a file much larger is not one of its own. */
    private static final int MAX_BYTES = 4 << 20;

    private PerfData() {
    }

    /**
     * Whether the JVM {@code pid} (known as {@code nsPid} in its own pid namespace, owned by
     * {@code uid}) allows attach; empty when it has no readable perf data file (it runs with
     * {@code -XX:-UsePerfData} or {@code -XX:+PerfDisableSharedMem}, or is not HotSpot).
     */
    static Optional<Boolean> attachable(int pid, int nsPid, int uid) {
        // Its /tmp, through its root: the JVM may live in a mount namespace of its own.
        Path tmp = Path.of("/proc", Integer.toString(pid), "root", "tmp");
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, "hsperfdata_*")) {
            for (Path dir : dirs) {
                Path file = dir.resolve(Integer.toString(nsPid));
                try {
                    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                            || ((Number) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue() != uid) {
                        continue; // another user's JVM of the same pid in another namespace, or a plant
                    }
                    Optional<String> capabilities = stringCounter(read(file), CAPABILITIES);
                    if (capabilities.isPresent()) {
                        return Optional.of(capabilities.get().startsWith("1"));
                    }
                } catch (IOException | RuntimeException e) {
                    // unreadable or malformed: try the next directory, then say we do not know
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static byte[] read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(MAX_BYTES);
        }
    }

    /** The value of a string counter (a byte vector holding a NUL-terminated string), if present. */
    static Optional<String> stringCounter(byte[] data, String name) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.BIG_ENDIAN);
        if (data.length < 32 || b.getInt(0) != MAGIC) {
            return Optional.empty();
        }
        b.order(data[4] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        int offset = b.getInt(24);
        int entries = b.getInt(28);
        byte[] wanted = name.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < entries && offset >= 32 && offset <= data.length - 20; i++) {
            int length = b.getInt(offset);
            int nameOffset = b.getInt(offset + 4);
            int vectorLength = b.getInt(offset + 8);
            byte type = b.get(offset + 12);
            int dataOffset = b.getInt(offset + 16);
            if (length <= 0) {
                break;
            }
            if (type == 'B' && vectorLength > 0 && matches(data, (long) offset + nameOffset, wanted)) {
                long start = (long) offset + dataOffset;
                if (start < 0 || start >= data.length) {
                    return Optional.empty();
                }
                int end = (int) start;
                long limit = Math.min(data.length, start + vectorLength);
                while (end < limit && data[end] != 0) {
                    end++;
                }
                return Optional.of(new String(data, (int) start, end - (int) start, StandardCharsets.US_ASCII));
            }
            offset += length;
        }
        return Optional.empty();
    }

    /** True when {@code data} holds {@code name} and a NUL at {@code at}. */
    private static boolean matches(byte[] data, long at, byte[] name) {
        if (at < 0 || at + name.length >= data.length) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (data[(int) at + i] != name[i]) {
                return false;
            }
        }
        return data[(int) at + name.length] == 0;
    }
}
