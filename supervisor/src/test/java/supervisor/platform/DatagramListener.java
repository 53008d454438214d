package supervisor.platform;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real AF_UNIX datagram socket that receives what the supervisor sends, as systemd's would.
 * Test code; JNA because the JDK cannot receive UNIX datagrams either.
 */
public final class DatagramListener implements AutoCloseable {
    private final int fd;
    private final Thread reader;
    private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    /** A datagram and when it arrived. */
    public record Received(String text, long nanos) {
    }

    public DatagramListener(String name) {
        fd = Lib.socket(1, 2 | 0x80000, 0);
        byte[] address = LinuxPosix.unixAddress(name);
        Lib.bind(fd, address, address.length);
        // SO_RCVTIMEO 100 ms, so that the reader notices close() without a signal.
        long[] timeval = {0, 100_000};
        Lib.setsockopt(fd, 1, 20, timeval, 16);
        reader = new Thread(this::read, "datagram-listener");
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        byte[] buf = new byte[4096];
        while (!closed) {
            try {
                long n = Lib.recv(fd, buf, buf.length, 0);
                if (n > 0) {
                    received.add(new Received(new String(buf, 0, (int) n, StandardCharsets.UTF_8), System.nanoTime()));
                }
            } catch (LastErrorException e) {
                // EAGAIN on the timeout: look at closed, read again
            }
        }
    }

    /** The next datagram, or null after {@code millis}. */
    public Received next(long millis) throws InterruptedException {
        return received.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Waits for a datagram containing {@code text}; fails after {@code millis}. */
    public Received await(String text, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        List<String> seen = new ArrayList<>();
        while (System.nanoTime() < end) {
            Received r = next(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            if (r == null) {
                break;
            }
            if (r.text().contains(text)) {
                return r;
            }
            seen.add(r.text());
        }
        throw new AssertionError("no datagram with '" + text + "' within " + millis + " ms; got " + seen);
    }

    public List<Received> drain() {
        List<Received> out = new ArrayList<>();
        received.drainTo(out);
        return out;
    }

    @Override
    public void close() {
        closed = true;
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Lib.close(fd);
    }

    private static final class Lib {
        static {
            Native.register("c");
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native int bind(int fd, byte[] address, int length) throws LastErrorException;

        static native int setsockopt(int fd, int level, int name, long[] value, int length) throws LastErrorException;

        static native long recv(int fd, byte[] buffer, long length, int flags) throws LastErrorException;

        static native int close(int fd) throws LastErrorException;
    }
}
