package tasks;

import java.io.BufferedReader;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import sun.misc.Signal;

/**
 * Small hostile tasks for the supervisor's tests, one per first argument:
 * {@code java -jar test-tasks.jar BEHAVIOUR [ARGS...]}. Each does for real what a broken task does:
 * hang, ignore SIGTERM, spin, crash, flood, build process trees that hide.
 * Every task that runs long says "ready" on stderr once it is set up, so tests can wait for it.
 */
public final class Main {
    private static final PrintStream ERR = System.err;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        String fromProperty = System.getProperty("tasks.args");
        if (args.length == 0 && fromProperty != null && !fromProperty.isEmpty()) {
            // A jar started with no arguments, as systemd's template unit starts one
            // (supervisor run --config FILE TASK.jar): its arguments come with its JVM options,
            // -Dtasks.args=BEHAVIOUR,ARG,...
            args = fromProperty.split(",");
        }
        if (args.length == 0) {
            ERR.println("usage: test-tasks BEHAVIOUR [ARGS...]");
            System.exit(64);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "hello" -> System.out.println("hello");
            case "exit" -> {
                // exit N [MILLIS]: exit with N, after MILLIS if given
                if (rest.length > 1) {
                    Thread.sleep(Long.parseLong(rest[1]));
                }
                System.exit(Integer.parseInt(rest[0]));
            }
            case "args" -> {
                for (String a : rest) {
                    System.out.println("[" + a + "]");
                }
            }
            case "env" -> System.getenv().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> System.out.println(e.getKey() + "=" + e.getValue()));
            case "pwd" -> {
                System.out.println(System.getProperty("user.dir"));
                Files.writeString(Path.of("left-by-task.txt"), "x");
            }
            case "fds" -> {
                // What this JVM holds open that it did not open itself shows as an inherited fd.
                File[] fds = new File("/proc/self/fd").listFiles();
                for (File fd : fds == null ? new File[0] : fds) {
                    try {
                        System.out.println(fd.getName() + " -> " + Files.readSymbolicLink(fd.toPath()));
                    } catch (IOException e) {
                        // the directory listing's own descriptor, closed already
                    }
                }
            }
            case "spin" -> {
                ready();
                long n = 0;
                while (true) {
                    n++;
                    if (n == Long.MAX_VALUE) {
                        ERR.println(n);
                    }
                }
            }
            case "spin-through-xcpu" -> {
                // Handles SIGXCPU (the soft CPU limit) and spins on, until the hard limit's SIGKILL.
                Signal.handle(new Signal("XCPU"), sig -> ERR.println("task: got SIGXCPU, spinning on"));
                ready();
                long n = 0;
                while (true) {
                    n++;
                }
            }
            case "fork-many" -> {
                // Up to N sleeps as fast as the shell can fork: a bounded fork bomb.
                spawn(true, "sh", "-c", "i=0; while [ $i -lt " + rest[0] + " ]; do sleep 1000 & i=$((i+1)); done; "
                        + "echo forked; wait");
                ready();
                sleepForever();
            }
            case "prop" -> System.out.println(System.getProperty(rest[0]));
            case "hang" -> {
                ready();
                sleepForever();
            }
            case "hang-with-hook" -> {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> ERR.println("task: shutdown hook ran")));
                ready();
                sleepForever();
            }
            case "hook-never-returns" -> {
                Runtime.getRuntime().addShutdownHook(new Thread(Main::sleepForever));
                ready();
                sleepForever();
            }
            case "spin-clear-interrupts" -> {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> ERR.println("task: shutdown hook ran")));
                ready();
                long n = 0;
                while (true) {
                    Thread.interrupted();
                    n++;
                    if (n == Long.MAX_VALUE) {
                        ERR.println(n);
                    }
                }
            }
            case "non-daemon" -> {
                Thread t = new Thread(Main::sleepForever, "non-daemon");
                t.start();
                ready();
                // main returns; the JVM lives on, as java -jar semantics say.
            }
            case "exit0-on-term" -> {
                Signal.handle(new Signal("TERM"), s -> Runtime.getRuntime().halt(0));
                ready();
                sleepForever();
            }
            case "crash" -> crash();
            case "crash-jna" -> crashThroughJna(rest[0]);
            case "oom" -> {
                List<long[]> hog = new ArrayList<>();
                while (true) {
                    hog.add(new long[1 << 20]);
                }
            }
            case "cat" -> {
                long n = System.in.transferTo(new FileOutputStream(FileDescriptor.out));
                ERR.println("task: read " + n + " bytes");
            }
            case "write-bytes" -> writeBytes(Long.parseLong(rest[0]));
            case "line-then-hang" -> {
                System.out.println("first line");
                System.out.flush();
                ready();
                sleepForever();
            }
            case "close-stdout" -> {
                System.out.close();
                ready();
                Thread.sleep(Long.parseLong(rest[0]));
                ERR.println("task: exiting after closing stdout");
            }
            case "children" -> {
                for (int i = 0; i < Integer.parseInt(rest[0]); i++) {
                    spawn(false, "sleep", "1000");
                }
                ready();
                sleepForever();
            }
            case "deep" -> {
                // deep N: a chain of N nested directories in TMPDIR (deeper than PATH_MAX for 2,100); prints TMPDIR
                DeepTree.make(Path.of(System.getenv("TMPDIR")), Integer.parseInt(rest[0]));
                ERR.println("tmp=" + System.getenv("TMPDIR"));
            }
            case "sh" -> {
                // sh SCRIPT [exit|wait|wait-exit|hang]: run a shell script as a child, then hang or
                // exit 0, at once or once the script has ended.
                Process p = spawn(true, "sh", "-c", rest[0]);
                if (rest.length > 1 && rest[1].startsWith("wait")) {
                    p.waitFor();
                }
                if (rest.length > 1 && rest[1].equals("wait-exit")) {
                    ready();
                    return;
                }
                ready();
                if (rest.length > 1 && rest[1].equals("exit")) {
                    return;
                }
                sleepForever();
            }
            case "spawner" -> {
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        spawn(false, "setsid", "sleep", "1000");
                        ERR.println("task: hook spawned a setsid sleep");
                    } catch (IOException e) {
                        ERR.println("task: hook could not spawn: " + e);
                    }
                }));
                ready();
                while (true) {
                    spawn(false, "sleep", "1000");
                    Thread.sleep(100);
                }
            }
            case "exit-leaving-child" -> {
                new ProcessBuilder("sleep", "1000").inheritIO().start();
                ready();
            }
            case "tree" -> tree(Integer.parseInt(rest[0]));
            case "hook-file" -> {
                // hook-file PATH: a JVM whose shutdown hook writes PATH (it ran, so its data is safe).
                Path file = Path.of(rest[0]);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        Files.writeString(file, "hook ran\n");
                    } catch (IOException e) {
                        ERR.println("task: cannot write " + file + ": " + e);
                    }
                }));
                Files.writeString(Path.of(rest[0] + ".ready"), "");
                ready();
                sleepForever();
            }
            case "detached-jvms" -> {
                // detached-jvms N DIR: starts N JVMs in sessions of their own (setsid), each with a
                // shutdown hook that writes DIR/hook-I, says "ready" once all N run, then hangs,
                // with a hook of its own that writes DIR/hook-task.
                int n = Integer.parseInt(rest[0]);
                String dir = rest[1];
                String jar = new File(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
                String javaBin = System.getProperty("java.home") + "/bin/java";
                for (int i = 0; i < n; i++) {
                    ProcessBuilder pb = new ProcessBuilder("setsid", javaBin, "-jar", jar, "hook-file", dir + "/hook-" + i);
                    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.PIPE);
                    Process p = pb.start();
                    // each says "ready" on stderr once its hook is in place
                    new BufferedReader(new InputStreamReader(p.getErrorStream())).readLine();
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        Files.writeString(Path.of(dir, "hook-task"), "hook ran\n");
                    } catch (IOException e) {
                        ERR.println("task: cannot write its hook file: " + e);
                    }
                }));
                ready();
                sleepForever();
            }
            case "orphan-churn" -> {
                // Short-lived grandchildren whose parent exits first: each becomes an orphan.
                ready();
                while (true) {
                    spawn(false, "sh", "-c", "sleep 0.05 & exit 0").waitFor();
                    Thread.sleep(20);
                }
            }
            case "http-server" -> httpServer(Integer.parseInt(rest[0]), Long.parseLong(rest[1]));
            case "notify" -> {
                // notify MESSAGE...: each MESSAGE as one datagram to $NOTIFY_SOCKET, in order, as a
                // service would send them; then hang. A JVM cannot send UNIX datagrams without
                // native code, so perl (perl-base, on every Debian) sends them.
                Process p = new ProcessBuilder(concat(List.of("perl", "-MSocket", "-e", NOTIFY_PERL, "--"), rest))
                        .inheritIO().start();
                if (p.waitFor() != 0) {
                    ERR.println("task: notify failed");
                    System.exit(1);
                }
                ready();
                sleepForever();
            }
            case "tmpdir" -> {
                // tmpdir [hang]: where temporary files go, one made there, then exit or hang.
                System.out.println("TMPDIR=" + System.getenv("TMPDIR"));
                System.out.println("java.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
                File f = File.createTempFile("task-", ".tmp");
                System.out.println("made " + f);
                System.out.flush();
                ready();
                if (rest.length > 0 && rest[0].equals("hang")) {
                    sleepForever();
                }
            }
            case "jvm-tree" -> jvmTree(rest);
            case "jvm-child" -> {
                // One JVM of jvm-tree: says ready, prints its line on stdout when told, then hangs.
                ready();
                new BufferedReader(new InputStreamReader(System.in)).readLine();
                System.out.println("child " + rest[0] + ": started");
                System.out.flush();
                ERR.println("printed");
                ERR.flush();
                hangingChild();
            }
            default -> {
                ERR.println("test-tasks: unknown behaviour " + args[0]);
                System.exit(64);
            }
        }
    }

    private static final String NOTIFY_PERL = "socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die \"socket: $!\\n\";"
            + " my $a = pack_sockaddr_un($ENV{NOTIFY_SOCKET} // die \"no NOTIFY_SOCKET\\n\");"
            + " for (@ARGV) { send($s, $_, 0, $a) or die \"send to $ENV{NOTIFY_SOCKET}: $!\\n\" }";

    private static List<String> concat(List<String> a, String[] b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(Arrays.asList(b));
        return all;
    }

    /**
     * A real HTTP server on 127.0.0.1:PORT that starts listening only after DELAY_MS, as a server
     * that loads its application first: GET / answers "hello"; GET /stop answers, then closes the
     * listening socket while the JVM lives on (a server that stopped serving, not a dead one).
     * Its shutdown hook says "task: shutdown hook ran" on stderr.
     */
    private static void httpServer(int port, long delayMillis) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ERR.println("task: shutdown hook ran")));
        ERR.println("task: starting, listening in " + delayMillis + " ms");
        Thread.sleep(delayMillis); // the application loading, not a synchronisation
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/", exchange -> {
            byte[] body = "hello\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/stop", exchange -> {
            byte[] body = "stopping\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
            new Thread(() -> {
                server.stop(0);
                ERR.println("task: stopped listening");
            }).start();
        });
        server.start();
        ERR.println("task: listening on 127.0.0.1:" + port);
        ready();
        sleepForever();
    }

    /**
     * jvm-tree OPTS...: one child JVM per argument, started with those JVM options (comma-separated;
     * "-" for none), all at once; then each prints "child I: started" on the shared stdout in turn,
     * then this JVM prints "parent: N children ready": stdout is the same bytes on every run. Then
     * all hang, each in a method of its own name (hangingParent, hangingChild) for thread dumps to show.
     */
    private static void jvmTree(String[] specs) throws Exception {
        String jar = new File(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        String javaBin = System.getProperty("java.home") + "/bin/java";
        List<Process> children = new ArrayList<>();
        List<BufferedReader> said = new ArrayList<>();
        for (int i = 0; i < specs.length; i++) {
            List<String> command = new ArrayList<>(List.of(javaBin, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx32m"));
            if (!specs[i].equals("-")) {
                command.addAll(Arrays.asList(specs[i].split(",")));
            }
            command.addAll(List.of("-jar", jar, "jvm-child", Integer.toString(i)));
            Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            children.add(p);
            said.add(new BufferedReader(new InputStreamReader(p.getErrorStream())));
        }
        for (int i = 0; i < children.size(); i++) {
            expect(said.get(i), "ready", i);
        }
        for (int i = 0; i < children.size(); i++) {
            OutputStream in = children.get(i).getOutputStream();
            in.write("print\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            expect(said.get(i), "printed", i);
        }
        System.out.println("parent: " + children.size() + " children ready");
        System.out.flush();
        ready();
        hangingParent();
    }

    private static void expect(BufferedReader child, String word, int i) throws IOException {
        for (String line = child.readLine(); !word.equals(line); line = child.readLine()) {
            if (line == null) {
                ERR.println("task: child " + i + " ended before it said " + word);
                System.exit(1);
            }
            ERR.println("child " + i + ": " + line);
        }
    }

    private static void hangingParent() {
        sleepForever();
    }

    private static void hangingChild() {
        sleepForever();
    }

    /** N processes: groups of sleeps under sh, a quarter of them setsid'ed and TERM-immune. */
    private static void tree(int total) throws Exception {
        int perGroup = 49; // one sh and 49 sleeps
        int made = 0;
        int group = 0;
        while (made < total) {
            int n = Math.min(perGroup, total - made - 1);
            String sleeps = group % 4 == 0
                    ? "trap '' TERM; i=0; while [ $i -lt " + n + " ]; do setsid sleep 1000 & i=$((i+1)); done; wait"
                    : "i=0; while [ $i -lt " + n + " ]; do sleep 1000 & i=$((i+1)); done; wait";
            spawn(false, "sh", "-c", sleeps);
            made += n + 1;
            group++;
        }
        ready();
        sleepForever();
    }

    private static Process spawn(boolean inheritOutput, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (inheritOutput) {
            pb.inheritIO();
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        }
        return pb.start();
    }

    private static void writeBytes(long n) throws IOException {
        byte[] block = new byte[64 * 1024];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31 + 7);
        }
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        long left = n;
        while (left > 0) {
            int k = (int) Math.min(block.length, left);
            out.write(block, 0, k);
            left -= k;
        }
        out.flush();
    }

    private static void crash() throws Exception {
        Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object unsafe = f.get(null);
        unsafe.getClass().getMethod("putAddress", long.class, long.class).invoke(unsafe, 0L, 42L);
    }

    /**
     * A segfault in native code, as a legacy library through JNA has one: JNA (from the jar at
     * {@code jnaJar}, loaded here so that this jar needs no dependency) writes to address 0.
     */
    public static void crashThroughJna(String jnaJar) throws Exception {
        ClassLoader jna = new URLClassLoader(new URL[] {Path.of(jnaJar).toUri().toURL()}, null);
        Class<?> pointer = Class.forName("com.sun.jna.Pointer", true, jna);
        Object zero = pointer.getConstructor(long.class).newInstance(0L);
        pointer.getMethod("setLong", long.class, long.class).invoke(zero, 0L, 42L);
    }

    private static void ready() {
        ERR.println("ready");
        ERR.flush();
    }

    private static void sleepForever() {
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // keep sleeping: a hostile task does not give up
            }
        }
    }

    @SuppressWarnings("unused")
    private static void drain(InputStream in) throws IOException {
        in.transferTo(OutputStream.nullOutputStream());
    }
}
