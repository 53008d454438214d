package tasks.worker;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import supervisor.worker.Cancellation;
import supervisor.worker.Task;

/**
 * A pool worker task that misbehaves on request. The input is "COMMAND [ARGUMENT]":
 * echo, sleep MS (cooperative), hang (says so on stderr, then spins in {@code spinInDecode}, ignoring
 * cancel and interrupts),
 * freeze (its JVM stops itself with SIGSTOP while the call runs), exit N, crash, crash-jna JNA_JAR, throw MSG,
 * print TEXT (to System.out and to fd 1), garbage (a bogus frame on the protocol pipe),
 * latin1 TEXT (a result that is not UTF-8), big N (an N-byte result), spawn (leaves a setsid'ed child), pid,
 * sh SCRIPT (runs sh -c SCRIPT to its end, answers "exit N"), deep N (N nested directories in TMPDIR),
 * hide SECONDS (leaves a grandchild {@code sleep SECONDS} that hides from every layer but a cgroup and a subreaper:
 * it clears its environment, leaves the session, and its parent exits, so it is reparented;
 * SECONDS with a unique fraction lets a test find it by its command line),
 * tmpdir (TMPDIR and java.io.tmpdir, one line each, after making a file there), prop NAME,
 * oom (throws OutOfMemoryError), stackoverflow (a real one), partial (answers, then writes the
 * 13-byte header of a 1 MiB frame and nothing more), midframe (writes that header, then hangs),
 * stopreading (answers, then its JVM stops itself with SIGSTOP: it reads nothing more),
 * strayresult N (writes a RESULT frame of N payload bytes for call 2^62, which is not running, then
 * the payload in 1 MiB writes, then hangs), emptytmp (deletes every entry of java.io.tmpdir, as a
 * task may that wants a clean scratch space; answers how many).
 *
 * <p>When the file named by the environment variable HOSTILE_REFUSE_IF_EXISTS exists, the class
 * does not initialise: its static initialiser exits 9 (a worker that can no longer start). When
 * the file named by HOSTILE_SLOW_START_IF_EXISTS exists, the static initialiser says so on stderr,
 * then sleeps 600 s (a worker that is starting, for as long as a test needs). With the environment
 * variable HOSTILE_EMPTY_TMPDIR set, the constructor empties java.io.tmpdir (as {@code emptytmp}).
 */
public final class HostileTask implements Task {
    private static final List<long[]> HOG = new ArrayList<>();

    static {
        String refuse = System.getenv("HOSTILE_REFUSE_IF_EXISTS");
        if (refuse != null && Files.exists(Path.of(refuse))) {
            System.err.println("HostileTask: refusing to start: " + refuse + " exists");
            System.exit(9);
        }
        String slow = System.getenv("HOSTILE_SLOW_START_IF_EXISTS");
        if (slow != null && Files.exists(Path.of(slow))) {
            System.err.println("HostileTask: starting slowly: " + slow + " exists");
            try {
                Thread.sleep(600_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public HostileTask() throws IOException {
        if (System.getenv("HOSTILE_EMPTY_TMPDIR") != null) {
            System.err.println("HostileTask: emptied java.io.tmpdir of " + emptyTmpdir() + " entries");
        }
    }

    /** Deletes every entry of java.io.tmpdir, directories with what they hold; returns how many entries it had. */
    private static int emptyTmpdir() throws IOException {
        List<Path> entries;
        try (Stream<Path> list = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            entries = list.collect(Collectors.toList());
        }
        for (Path entry : entries) {
            try (Stream<Path> tree = Files.walk(entry)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                    Files.deleteIfExists(p);
                }
            }
        }
        return entries.size();
    }

    /** The header of a RESULT frame of call 1 announcing a 1 MiB payload. */
    private static byte[] bigHeader() {
        return ByteBuffer.allocate(13).putInt(9 + (1 << 20)).put((byte) 0x11).putLong(1).array();
    }

    private static void later(long millis, Callable<?> action) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(millis);
                action.call();
            } catch (Exception e) {
                e.printStackTrace();
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @Override
    public byte[] call(byte[] input, Cancellation cancel) throws Exception {
        String text = new String(input, StandardCharsets.UTF_8);
        int space = text.indexOf(' ');
        String command = space < 0 ? text : text.substring(0, space);
        String arg = space < 0 ? "" : text.substring(space + 1);
        switch (command) {
            case "echo":
                return arg.getBytes(StandardCharsets.UTF_8);
            case "sleep":
                boolean cancelled = cancel.await(Duration.ofMillis(Long.parseLong(arg)));
                return (cancelled ? "cancelled" : "slept").getBytes(StandardCharsets.UTF_8);
            case "hang":
                System.err.println("hang: spinning in decode");
                return spinInDecode(input);
            case "freeze":
                new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid())).start().waitFor();
                return "thawed".getBytes(StandardCharsets.UTF_8);
            case "exit":
                System.exit(Integer.parseInt(arg));
                return null;
            case "crash":
                Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
                f.setAccessible(true);
                Object unsafe = f.get(null);
                unsafe.getClass().getMethod("putAddress", long.class, long.class).invoke(unsafe, 0L, 42L);
                return null;
            case "crash-jna":
                tasks.Main.crashThroughJna(arg);
                return null;
            case "throw":
                throw new IllegalStateException(arg);
            case "print":
                System.out.println("via System.out: " + arg);
                OutputStream fd1 = new FileOutputStream(FileDescriptor.out);
                fd1.write(("via fd 1: " + arg + "\n").getBytes(StandardCharsets.UTF_8));
                fd1.flush();
                return "printed".getBytes(StandardCharsets.UTF_8);
            case "garbage":
                try (OutputStream protocol = new FileOutputStream("/proc/self/fd/3")) {
                    protocol.write(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x11});
                    protocol.flush();
                }
                Thread.sleep(60_000);
                return null;
            case "latin1":
                return arg.getBytes(StandardCharsets.ISO_8859_1);
            case "alloc":
                while (true) {
                    HOG.add(new long[1 << 20]);
                }
            case "big":
                return new byte[Integer.parseInt(arg)];
            case "sh": {
                // sh SCRIPT: runs a shell script to its end; answers its exit status
                Process p = new ProcessBuilder("sh", "-c", arg).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                return ("exit " + p.waitFor()).getBytes(StandardCharsets.UTF_8);
            }
            case "deep":
                // deep N: a chain of N nested directories in TMPDIR, deeper than PATH_MAX for N = 2,100
                tasks.DeepTree.make(Path.of(System.getenv("TMPDIR")), Integer.parseInt(arg));
                return System.getenv("TMPDIR").getBytes(StandardCharsets.UTF_8);
            case "spawn":
                new ProcessBuilder("setsid", "sleep", "1000").start();
                return "spawned".getBytes(StandardCharsets.UTF_8);
            case "hide":
                // The subshell forks the sleep in the background and exits at once: a double fork.
                int status = new ProcessBuilder("sh", "-c", "(env -i setsid sleep " + arg + " </dev/null >/dev/null 2>&1 &)")
                        .inheritIO().start().waitFor();
                return ("hidden " + status).getBytes(StandardCharsets.UTF_8);
            case "prop":
                return String.valueOf(System.getProperty(arg)).getBytes(StandardCharsets.UTF_8);
            case "tmpdir":
                File.createTempFile("worker-", ".tmp");
                return (System.getenv("TMPDIR") + "\n" + System.getProperty("java.io.tmpdir")).getBytes(StandardCharsets.UTF_8);
            case "oom":
                throw new OutOfMemoryError("thrown by the task");
            case "stackoverflow":
                return recurse(0);
            case "partial":
                later(200, () -> {
                    try (OutputStream protocol = new FileOutputStream("/proc/self/fd/3")) {
                        protocol.write(bigHeader());
                    }
                    return null;
                });
                return "partial".getBytes(StandardCharsets.UTF_8);
            case "midframe":
                try (OutputStream protocol = new FileOutputStream("/proc/self/fd/3")) {
                    protocol.write(bigHeader());
                }
                Thread.sleep(600_000);
                return null;
            case "stopreading":
                later(200, () -> new ProcessBuilder("kill", "-STOP", Long.toString(ProcessHandle.current().pid()))
                        .start().waitFor());
                return "stopping".getBytes(StandardCharsets.UTF_8);
            case "strayresult":
                int n = Integer.parseInt(arg);
                try (OutputStream protocol = new FileOutputStream("/proc/self/fd/3")) {
                    protocol.write(ByteBuffer.allocate(13).putInt(9 + n).put((byte) 0x11).putLong(1L << 62).array());
                    byte[] chunk = new byte[1 << 20];
                    for (int sent = 0; sent < n; sent += chunk.length) {
                        protocol.write(chunk, 0, Math.min(chunk.length, n - sent));
                    }
                }
                Thread.sleep(600_000);
                return null;
            case "emptytmp":
                return ("emptied " + emptyTmpdir()).getBytes(StandardCharsets.UTF_8);
            case "pid":
                return Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8);
            default:
                throw new IllegalArgumentException("unknown command: " + command);
        }
    }

    /** Never set: a loop no cancel and no interrupt ends. */
    private static volatile boolean decoded;

    /**
     * A recognisable frame for the stack a hung call reports: a decoder stuck in a loop that calls
     * nothing, so that this is the top frame whenever the stack is taken.
     */
    private static byte[] spinInDecode(byte[] input) {
        long spins = 0;
        while (!decoded) {
            spins++;
        }
        return Long.toString(spins + input.length).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] recurse(int depth) {
        return depth < 0 ? null : recurse(depth + 1);
    }
}
