package examples.legacy;

import supervisor.pool.Timeout;

/**
 * What the application sees of the legacy native library: a plain Java interface. Through
 * {@code pool.proxy(LegacyCodec.class, NativeLegacyCodec.class)} each call runs in a worker JVM,
 * so a crash, a hang or a leak of the library costs a worker, never the application.
 */
@Timeout(2)
public interface LegacyCodec {
    /** A checksum of the bytes. */
    int checksum(byte[] data);

    /** The length of a record; the library crashes on one that starts with '!'. */
    int parse(String record);

    /** A record's code; the library hangs in native code on one that starts with '?'. */
    @Timeout(value = 500, unit = java.util.concurrent.TimeUnit.MILLISECONDS)
    int lookup(String record);

    /** Caches megabytes; the library never frees them. */
    long cache(int megabytes);
}
