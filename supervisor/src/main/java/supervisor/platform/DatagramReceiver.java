package supervisor.platform;

/**
 * A bound AF_UNIX datagram socket that receives: a task's own notify socket. Made by
 * {@link Posix#bindDatagram}. One thread receives; {@link #close()} may come from any other, and
 * the receiving thread then sees {@link #closed()} within one poll interval. Thread-safe.
 */
public interface DatagramReceiver extends AutoCloseable {
    /**
     * The next datagram, waiting at most the poll interval given at bind time.
     *
     * @return its bytes, or null when none came in time, or after {@link #close()}. A datagram
     *     longer than {@code limit} bytes comes as its first {@code limit + 1} bytes, for the
     *     caller to drop and say so
     * @throws PlatformException when the kernel refuses for a reason other than a timeout
     */
    byte[] receive(int limit);

    /** True once {@link #close()} was called: no more datagrams. */
    boolean closed();

    /** Closes the socket (its path stays: the caller removes the directory it made). Idempotent. */
    @Override
    void close();
}
