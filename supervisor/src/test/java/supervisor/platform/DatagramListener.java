package supervisor.platform;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real AF_UNIX datagram socket that receives what the supervisor sends, as systemd's would; or,
 * made by {@link #unread}, one that is bound but never read, its receive queue full.
 * Test code; JNA because the JDK cannot receive UNIX datagrams either.
 */
public final class DatagramListener implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EAGAIN = 11;

    private final int fd;
    private final String name;
    private final Thread reader;
    private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    /** A datagram and when it arrived. */
    public record Received(String text, long nanos) {
    }

    /** A socket that reads everything sent to it. */
    public DatagramListener(String name) {
        this(name, true);
    }

    private DatagramListener(String name, boolean read) {
        this.name = name;
        fd = Lib.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        byte[] address = LinuxPosix.unixAddress(name);
        Lib.bind(fd, address, address.length);
        if (!read) {
            reader = null;
            return;
        }
        // SO_RCVTIMEO 100 ms, so that the reader notices close() without a signal.
        long[] timeval = {0, 100_000};
        Lib.setsockopt(fd, 1, 20, timeval, 16);
        reader = new Thread(this::read, "datagram-listener");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * A socket bound to {@code name} that nobody ever reads, with its receive queue filled, so that
     * a blocking sendto to it would never return: a hung or hostile service manager.
     */
    public static DatagramListener unread(String name) {
        DatagramListener l = new DatagramListener(name, false);
        l.fill();
        return l;
    }

    /**
     * Sends datagrams to this socket until a fresh sender gets EAGAIN on its first try: the
     * receive queue (net.unix.max_dgram_qlen) is full, not merely one sender's send buffer.
     */
    private void fill() {
        byte[] address = LinuxPosix.unixAddress(name);
        byte[] filler = {'x'};
        for (int senders = 0; senders < 1000; senders++) {
            int out = Lib.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            try {
                for (int sent = 0; ; sent++) {
                    try {
                        Lib.sendto(out, filler, filler.length, MSG_DONTWAIT, address, address.length);
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() != EAGAIN) {
                            throw e;
                        }
                        if (sent == 0) {
                            return;
                        }
                        break;
                    }
                }
            } finally {
                Lib.close(out);
            }
        }
        throw new AssertionError("the receive queue of " + name + " never filled");
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
        if (reader != null) {
            try {
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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

        static native long sendto(int fd, byte[] buffer, long length, int flags, byte[] address, int addressLength)
                throws LastErrorException;

        static native int close(int fd) throws LastErrorException;
    }
}
