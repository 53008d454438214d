package examples.legacy;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The legacy library through JNA: runs in a worker only (the proxy makes one instance per worker
 * JVM). The library's path comes from the system property {@code legacy.library}, which the
 * pool gives its workers.
 */
public final class NativeLegacyCodec implements LegacyCodec {
    /** The C functions of legacy.c. */
    interface Legacy extends Library {
        int legacy_checksum(byte[] data, int length);

        int legacy_parse(String record);

        int legacy_lookup(String record);

        long legacy_cache(int megabytes);
    }

    private final Legacy lib = Native.load(System.getProperty("legacy.library"), Legacy.class);

    @Override
    public int checksum(byte[] data) {
        return lib.legacy_checksum(data, data.length);
    }

    @Override
    public int parse(String record) {
        return lib.legacy_parse(record);
    }

    @Override
    public int lookup(String record) {
        return lib.legacy_lookup(record);
    }

    @Override
    public long cache(int megabytes) {
        return lib.legacy_cache(megabytes);
    }
}
