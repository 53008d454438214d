package supervisor.diagnose;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.platform.Platform;
import supervisor.platform.PlatformException;
import supervisor.platform.Posix;
import supervisor.platform.ProcessId;
import supervisor.platform.Signal;
import supervisor.units.Durations;

/**
 * One {@code jcmd PID Thread.print}, spoken directly: HotSpot's attach protocol on Linux, as the
 * JDK's {@code jdk.attach} module speaks it, with the care a supervisor owes a task whose stdout
 * must stay byte-exact.
 *
 * <p>The protocol: the JVM listens on the UNIX socket {@code /tmp/.java_pidNSPID} once its attach
 * listener runs. It starts the listener when it gets SIGQUIT while a file
 * {@code .attach_pidNSPID} of its user (or root's) exists in its working directory or in /tmp.
 * A request is {@code "1\0jcmd\0Thread.print\0\0\0"} (version 1, the command, three arguments);
 * the answer is a status line ({@code "0\n"}) and the command's output, then EOF.
 *
 * <p>Why not the attach API itself: SIGQUIT to a JVM whose listener will not start makes it print
 * a thread dump on <em>its own stdout</em> (the task's), and kills a JVM that does not handle
 * SIGQUIT yet. JDK 17's client sends SIGQUIT without looking; here it is sent only when
 * <ul>
 *   <li>there is no socket yet (with one, a SIGQUIT would print the dump on stdout),</li>
 *   <li>the JVM catches SIGQUIT and does not ignore it ({@code SigCgt}, {@code SigIgn}),</li>
 *   <li>its perf data says attach is enabled (not {@code -XX:+DisableAttachMechanism}), and</li>
 *   <li>the trigger file the JVM will look at first is ours or absent (one of another user's would
 *       be refused by the JVM, which then prints the dump instead).</li>
 * </ul>
 * Also: the trigger goes into /tmp, never the task's working directory; the signal goes through
 * a pidfd after a start-time check; every step has the caller's deadline, and {@link #cancel()}
 * from another thread ends a connect or read that hangs (a JVM stopped after its listener
 * started). The JDK's client also needs {@code --add-exports} to reach {@code Thread.print}.
 *
 * <p>One instance per JVM and attempt; {@link #cancel()} is the only method for other threads.
 */
final class HotSpotAttach {
    /** How often the socket and the JVM's signal state are looked at while waiting. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final byte[] REQUEST = "1\0jcmd\0Thread.print\0\0\0".getBytes(StandardCharsets.US_ASCII);

    /** Why a JVM was not dumped: a reason for the {@code supervisor:} line and the file. */
    static final class Refused extends Exception {
        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    private final ProcessId id;
    private final long answerNanos;
    private volatile SocketChannel channel;
    private volatile boolean cancelled;
    private volatile ThreadDumps.Listener listener;
    private final Consumer<Path> guard;

    /**
     * @param answerNanos the whole time JVMs are given to answer, for messages
     * @param guard told of the trigger file made, before anything else may end this JVM: the
     *        guardian removes it should the supervisor be killed before it does
     */
    HotSpotAttach(ProcessId id, long answerNanos, Consumer<Path> guard) {
        this.id = id;
        this.answerNanos = answerNanos;
        this.guard = guard;
    }

    /** The attach listener this attempt connected to, or null (none, or in another mount namespace). */
    ThreadDumps.Listener listener() {
        return listener;
    }

    /** Ends the attempt: a blocked connect or read returns at once, and it is {@link Refused}. */
    void cancel() {
        cancelled = true;
        SocketChannel c = channel;
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    /**
     * The JVM's {@code Thread.print}, at most {@code maxBytes} of it (then a note says it was cut).
     *
     * @param deadline a {@link System#nanoTime()} deadline for the whole attempt
     * @throws Refused saying why there is none
     */
    byte[] threadPrint(long deadline, long maxBytes) throws Refused {
        int pid = id.pid();
        Path proc = Path.of("/proc", Integer.toString(pid));
        Status status = Status.read(proc);
        if (status.stopped()) {
            throw new Refused("is stopped (SIGSTOP) and cannot answer");
        }
        // Opened first: a cold JVM loads its classes while the native layer loads for the signal.
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel = c;
            if (cancelled) {
                throw new Refused(late());
            }
            Path tmp = proc.resolve("root/tmp"); // its /tmp, in whatever mount namespace it lives
            Path socket = tmp.resolve(".java_pid" + status.nsPid());
            if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                startListener(proc, tmp, socket, status, deadline);
            }
            Log.trace("dump: " + id.pid() + " listens");
            checkOwner(socket, status.uid());
            listener = ThreadDumps.Listener.of(id, proc, socket, status.nsPid());
            return request(c, socket, maxBytes);
        } catch (IOException e) {
            throw new Refused(cancelled || System.nanoTime() - deadline >= 0 ? late() : "failed the attach: " + e.getMessage());
        } finally {
            channel = null;
        }
    }

    private String late() {
        return "did not answer the attach within " + Durations.format(answerNanos);
    }

    /** Starts the JVM's attach listener (see the class comment for why each check is there). */
    private void startListener(Path proc, Path tmp, Path socket, Status status, long deadline) throws Refused {
        // A JVM still starting has no SIGQUIT handler yet: wait for it, within the deadline.
        while (!status.catchesQuit() && !Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            if (status.ignoresQuit()) {
                throw new Refused("ignores SIGQUIT (-Xrs, and its attach listener is gone), so it cannot be asked");
            }
            if (status.stopped()) {
                throw new Refused("is stopped (SIGSTOP) and cannot answer");
            }
            pause(deadline, "did not handle SIGQUIT within " + Durations.format(answerNanos)
                    + " (still starting?)");
            status = Status.read(proc);
        }
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Optional<Boolean> attachable = PerfData.attachable(id.pid(), status.nsPid(), status.uid());
        if (attachable.isEmpty()) {
            throw new Refused("has no perf data (-XX:-UsePerfData?) to say whether it allows attach, and SIGQUIT to"
                    + " a JVM that does not would print on the task's stdout");
        }
        if (!attachable.get()) {
            throw new Refused("does not allow attach (-XX:+DisableAttachMechanism)");
        }
        String trigger = ".attach_pid" + status.nsPid();
        Path inWorkdir = proc.resolve("cwd").resolve(trigger);
        try {
            if (Files.exists(inWorkdir, LinkOption.NOFOLLOW_LINKS) && !ownedBy(inWorkdir, status.uid())) {
                throw new Refused("has a " + trigger + " of another user in its working directory, which the JVM"
                        + " would refuse, and print the dump on the task's stdout instead");
            }
        } catch (IOException e) {
            // gone meanwhile, or unreadable: the JVM, which looks there first, will see what we see
        }
        Path file = tmp.resolve(trigger);
        boolean made = false;
        try {
            try {
                Files.createFile(file);
                made = true;
                // Named as the guardian will see it once the JVM is gone with its /proc/PID/root.
                if (ThreadDumps.sameRoot(proc)) {
                    guard.accept(Path.of("/tmp", trigger));
                }
                if (ownUid() != status.uid()) {
                    // root attaching to another user's JVM: an older JVM takes only its own user's file
                    Files.setAttribute(file, "unix:uid", status.uid(), LinkOption.NOFOLLOW_LINKS);
                }
            } catch (FileAlreadyExistsException e) {
                if (!ownedBy(file, status.uid())) {
                    throw new Refused("cannot be asked: " + file + " exists and belongs to another user");
                }
            }
        } catch (IOException e) {
            throw new Refused("cannot be asked: cannot create " + file + ": " + e.getMessage());
        }
        try {
            Posix.Delivery sent;
            try {
                sent = Platform.posix().signal(id, Signal.QUIT);
            } catch (PlatformException e) {
                throw new Refused("cannot be sent SIGQUIT: " + e.getMessage());
            }
            if (sent == Posix.Delivery.GONE) {
                throw new Refused("exited");
            }
            Log.trace("dump: SIGQUIT sent to " + id.pid());
            while (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                pause(deadline, "did not start its attach listener within " + Durations.format(answerNanos));
            }
        } finally {
            if (made) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // /tmp is cleaned by the system; the JVM no longer looks at it
                }
            }
        }
    }

    /** The socket must be the JVM's: its user's, and writable by nobody else (as the JDK checks). */
    private static void checkOwner(Path socket, int uid) throws Refused {
        try {
            int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (!ownedBy(socket, uid) || (mode & 0022) != 0) {
                throw new Refused("has an attach socket " + socket + " that is not its own (another owner, or writable by others)");
            }
        } catch (NoSuchFileException e) {
            throw new Refused("lost its attach socket (exiting?)");
        } catch (IOException e) {
            throw new Refused("has an attach socket that cannot be checked: " + e.getMessage());
        }
    }

    private byte[] request(SocketChannel c, Path socket, long maxBytes) throws IOException, Refused {
        Log.trace("dump: connecting to " + id.pid());
        c.connect(UnixDomainSocketAddress.of(socket));
        c.write(ByteBuffer.wrap(REQUEST));
        ByteArrayOutputStream answer = new ByteArrayOutputStream(64 * 1024);
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        boolean cut = false;
        while (c.read(buffer.clear()) >= 0) {
            long room = maxBytes - answer.size();
            answer.write(buffer.array(), 0, (int) Math.min(room, buffer.position()));
            if (buffer.position() > room) {
                cut = true;
                break;
            }
        }
        Log.trace("dump: " + id.pid() + " answered");
        return output(answer.toByteArray(), cut, maxBytes);
    }

    /** The command's output, after the status line; a status other than 0 is a refusal. */
    private static byte[] output(byte[] answer, boolean cut, long maxBytes) throws Refused {
        int eol = 0;
        while (eol < answer.length && answer[eol] != '\n') {
            eol++;
        }
        String status = new String(answer, 0, eol, StandardCharsets.US_ASCII).strip();
        if (eol == answer.length && !cut) {
            throw new Refused("closed the attach connection without an answer");
        }
        byte[] body = Arrays.copyOfRange(answer, Math.min(eol + 1, answer.length), answer.length);
        if (!status.equals("0")) {
            String message = new String(body, StandardCharsets.UTF_8).strip();
            throw new Refused("refused Thread.print (status " + Printable.escape(status) + ")"
                    + (message.isEmpty() ? "" : ": " + Printable.escape(firstLine(message))));
        }
        if (cut) {
            byte[] note = ("\n[cut: the dump is longer than " + maxBytes / 1024 + " KiB]\n").getBytes(StandardCharsets.US_ASCII);
            byte[] whole = Arrays.copyOf(body, body.length + note.length);
            System.arraycopy(note, 0, whole, body.length, note.length);
            return whole;
        }
        return body;
    }

    private static String firstLine(String s) {
        int eol = s.indexOf('\n');
        return eol < 0 ? s : s.substring(0, eol);
    }

    /** Waits a little; past the deadline or once cancelled, refuses with {@code late}. */
    private void pause(long deadline, String late) throws Refused {
        if (cancelled || System.nanoTime() - deadline >= 0) {
            throw new Refused(late);
        }
        LockSupport.parkNanos(Math.min(POLL_NANOS, deadline - System.nanoTime()));
    }

    private static boolean ownedBy(Path file, int uid) throws IOException {
        int owner = ((Number) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS)).intValue();
        return owner == uid || owner == 0;
    }

    private static int ownUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * What /proc/PID/status says of a JVM: its pid in its own namespace, its effective uid, its
     * state, and what it does with SIGQUIT.
     */
    record Status(int nsPid, int uid, boolean stopped, boolean catchesQuit, boolean ignoresQuit) {
        private static final long QUIT_BIT = 1L << (Signal.QUIT - 1);

        static Status read(Path proc) throws Refused {
            List<String> lines;
            try {
                lines = Files.readAllLines(proc.resolve("status"), StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                throw new Refused("exited");
            }
            int nsPid = -1;
            int uid = -1;
            boolean stopped = false;
            long caught = 0;
            long ignored = 0;
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String[] words = line.substring(colon + 1).strip().split("\\s+");
                switch (line.substring(0, colon)) {
                    case "NSpid" -> nsPid = Integer.parseInt(words[words.length - 1]); // as the JVM knows itself
                    case "Uid" -> uid = Integer.parseInt(words[1]); // effective
                    case "State" -> {
                        stopped = words[0].equals("T") || words[0].equals("t");
                        if (words[0].equals("Z") || words[0].equals("X")) {
                            throw new Refused("exited");
                        }
                    }
                    case "SigCgt" -> caught = Long.parseUnsignedLong(words[0], 16);
                    case "SigIgn" -> ignored = Long.parseUnsignedLong(words[0], 16);
                    default -> { }
                }
            }
            if (nsPid < 0) {
                nsPid = Integer.parseInt(proc.getFileName().toString()); // kernels before 4.1 have no NSpid
            }
            return new Status(nsPid, uid, stopped, (caught & QUIT_BIT) != 0, (ignored & QUIT_BIT) != 0);
        }
    }
}
