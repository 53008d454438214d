package supervisor.diagnose;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import supervisor.log.Log;
import supervisor.log.Printable;
import supervisor.log.Reasons;
import supervisor.log.Words;
import supervisor.platform.Daemons;
import supervisor.platform.Platform;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;
import supervisor.units.Durations;

/**
 * A thread dump of every JVM among a task's processes, into one file: what a hung task was doing
 * when the supervisor gave up on it. One section per JVM: its pid, its command line, then its
 * {@code Thread.print} (see {@link HotSpotAttach} for how, and why not through SIGQUIT alone).
 *
 * <p>Bounded: the JVMs are asked in parallel and have {@link #ANSWER_NANOS} together; one that
 * has not answered by then is skipped with that reason. Writing the file has
 * {@link #WRITE_NANOS} more. {@link #take} returns within {@link #BOUND_NANOS} whatever the JVMs,
 * /proc or the file system do (the work runs on a thread of its own, abandoned past the bound,
 * which then writes no file unless it had begun to). Nothing of it goes near the task's stdout or stderr.
 *
 * <p>A JVM is a process that maps {@code libjvm.so}; only HotSpot's protocol is spoken (OpenJDK
 * and its builds: Temurin, Corretto, Zulu, Oracle, ...), so an OpenJ9 JVM is skipped, saying so.
 */
public final class ThreadDumps {
    /** How long the JVMs have, together, to answer. */
    public static final long ANSWER_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** How long attempts have, once cancelled at the deadline, to say why they failed. */
    private static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** How much longer writing the file may take. */
    public static final long WRITE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** The most a dump delays whatever waits for it. */
    public static final long BOUND_NANOS = ANSWER_NANOS + WRITE_NANOS;
    /** JVMs beyond this many are skipped: a thread each. */
    static final int MAX_JVMS = 32;
    /** One JVM's dump is cut beyond this (tens of thousands of threads). */
    static final long MAX_BYTES_PER_JVM = 16L << 20;

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private ThreadDumps() {
    }

    /**
     * What a dump came to.
     *
     * @param file the file written, or null when none was
     * @param line what to tell the user, one line without the {@code supervisor:} prefix
     * @param whole true when every JVM found is in the file
     */
    public record Outcome(Path file, String line, boolean whole, List<Listener> listeners) {
        Outcome(Path file, String line, boolean whole) {
            this(file, line, whole, List.of());
        }

        static Outcome none(String line) {
            return new Outcome(null, line, false);
        }
    }

    /**
     * An attach listener the dump spoke to (started by its SIGQUIT, or at start-up under -Xrs): its
     * socket, {@code /tmp/.java_pidN}, outlives a JVM that the stop then kills (HotSpot removes it
     * only at a normal exit; under -Xrs, SIGTERM's default action kills it too). Left there, it is a file in /tmp of
     * the supervisor's making, and a JVM that later gets the same pid looks attachable when it is
     * not (a connect is refused; jcmd fails on it).
     *
     * @param fileKey the socket's inode, so that a socket a new JVM made at the same path is kept
     */
    public record Listener(ProcessId jvm, Path socket, Object fileKey) {
        /** Null when the JVM's /tmp is not this process's own (a mount namespace: gone with it). */
        static Listener of(ProcessId jvm, Path proc, Path socket, int nsPid) {
            try {
                if (!sameRoot(proc)) {
                    return null;
                }
                Path ours = Path.of("/tmp", ".java_pid" + nsPid);
                Object key = Files.readAttributes(ours, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS).fileKey();
                return key == null ? null : new Listener(jvm, ours, key);
            } catch (IOException e) {
                return null;
            }
        }

        /** Removes the socket if its JVM is gone and it is still the one that JVM made. */
        public void removeIfDead() {
            if (ProcFs.alive(jvm)) {
                return; // it exits normally, and removes it itself
            }
            try {
                var attrs = Files.readAttributes(socket, BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                if (attrs.isOther() && fileKey.equals(attrs.fileKey())) {
                    Files.delete(socket);
                }
            } catch (IOException e) {
                // gone already, or not ours to remove
            }
        }
    }

    /** One JVM and what became of it: its dump or why it has none, settled once. */
    private static final class Section {
        final ProcessId id;
        final String commandLine;
        final String kind; // null: HotSpot
        HotSpotAttach attach;
        private byte[] dump; // guarded by this
        private String skipped; // guarded by this

        Section(ProcessId id, String commandLine, String kind) {
            this.id = id;
            this.commandLine = commandLine;
            this.kind = kind;
        }

        /** Its dump, or its reason; the first to come counts, an answer after the deadline does not. */
        synchronized boolean settle(byte[] dump, String skipped) {
            if (this.dump != null || this.skipped != null) {
                return false;
            }
            this.dump = dump;
            this.skipped = skipped;
            return true;
        }

        synchronized byte[] dump() {
            return dump;
        }

        synchronized String skipped() {
            return skipped;
        }
    }

    /**
     * Dumps the threads of every JVM among {@code processes} into a new file in {@code dir}, named
     * {@code supervisor-threads-TIME-MARKER.txt}. Returns within {@link #BOUND_NANOS}.
     *
     * @param marker the task's marker, so that the file names the run, not a pid
     * @param why what led to the dump, for the file's head ("timeout 1s expired")
     * @param guard told of each file made in a JVM's /tmp while it is asked (its attach trigger,
     *        removed right after), for the guardian to remove should the supervisor be killed first
     */
    public static Outcome take(List<ProcessId> processes, Path dir, String marker, String why,
                               Consumer<Path> guard) {
        return take(processes, dir, marker, why, guard, new CompletableFuture<>());
    }

    /**
     * As {@link #take(List, Path, String, String, java.util.function.Consumer)}, and ends at once,
     * writing no file, when {@code cancel} completes (with why: "got SIGINT"): a signal during
     * the dump is acted on now, not after the dump's bound.
     */
    public static Outcome take(List<ProcessId> processes, Path dir, String marker, String why,
                               Consumer<Path> guard, CompletableFuture<String> cancel) {
        long start = System.nanoTime();
        Log.trace("dump: " + processes.size() + " processes");
        Platform.preload(); // for SIGQUIT; the stop that follows needs it anyway
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        AtomicBoolean abandoned = new AtomicBoolean();
        Thread worker = Daemons.start(() -> {
            try {
                result.complete(dump(processes, dir, marker, why, start, abandoned, guard, cancel));
            } catch (RuntimeException | Error e) {
                result.complete(Outcome.none("no thread dump: " + Reasons.of(e)));
            }
        }, "supervisor-thread-dump");
        try {
            CompletableFuture.anyOf(result, cancel).get(BOUND_NANOS - (System.nanoTime() - start), TimeUnit.NANOSECONDS);
            if (result.isDone() || !cancel.isDone()) {
                return result.get();
            }
            abandoned.set(true); // it writes no file from now on
            // The attempts were cancelled with it: a moment for them to remove their trigger files.
            try {
                result.get(SETTLE_NANOS, TimeUnit.NANOSECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // the line below says enough
            }
            return Outcome.none("no thread dump: " + cancel.getNow("cancelled") + " while it was taken");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // not done in time: below
        }
        abandoned.set(true); // it writes no file from now on
        return result.getNow(Outcome.none("no thread dump: it did not finish within " + Durations.format(BOUND_NANOS)
                + " (reading /proc, or writing in " + dir.toAbsolutePath() + ", hangs?)"));
    }

    private static Outcome dump(List<ProcessId> processes, Path dir, String marker, String why, long start,
                                AtomicBoolean abandoned, Consumer<Path> guard,
                                CompletableFuture<String> cancel) {
        if (!ProcFs.available()) {
            return Outcome.none("no thread dump: it needs Linux's /proc");
        }
        // The file first: if it cannot be written, no JVM is disturbed for nothing.
        DumpFile file;
        try {
            file = DumpFile.create(dir.toAbsolutePath(), marker);
        } catch (IOException e) {
            return Outcome.none("cannot write a thread dump in " + dir.toAbsolutePath() + ": " + reason(e)
                    + "; none taken (--dump-dir names another directory)");
        }
        List<ProcessId> alive = processes.stream().filter(ProcFs::alive).toList();
        List<Section> sections = jvms(alive);
        Log.trace("dump: " + sections.size() + " JVMs among " + alive.size() + " processes");
        if (sections.isEmpty()) {
            file.discard();
            return Outcome.none(alive.isEmpty() ? "no thread dump: the task has no process left"
                    : "no thread dump: none of the task's " + alive.size() + (alive.size() == 1 ? " process is" : " processes is")
                    + " a JVM");
        }
        askAll(sections, start + ANSWER_NANOS, guard, cancel);
        List<Section> dumped = sections.stream().filter(s -> s.dump() != null).toList();
        List<Section> skipped = sections.stream().filter(s -> s.dump() == null).toList();
        if (dumped.isEmpty() || abandoned.get()) {
            file.discard();
            return new Outcome(null, "no thread dump: " + skips(skipped, 3), false, listeners(sections));
        }
        String head = "Thread dump by supervisor (pid " + ProcessHandle.current().pid() + ") of the task " + marker
                + ": " + why + "\n" + DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                + ": " + Words.count(dumped.size(), "JVM", "JVMs") + " dumped"
                + (skipped.isEmpty() ? "" : ", " + skipped.size() + " skipped")
                + ", in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms\n";
        try {
            file.write(head.getBytes(StandardCharsets.UTF_8));
            for (Section s : sections) {
                file.write(("\n===== pid " + s.id.pid() + ": " + s.commandLine + "\n").getBytes(StandardCharsets.UTF_8));
                file.write(s.dump() != null ? s.dump()
                        : ("skipped: pid " + s.id.pid() + " " + s.skipped() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            file.close();
        } catch (IOException e) {
            file.discard();
            return new Outcome(null, "cannot write the thread dump " + file.path + ": " + reason(e), false,
                    listeners(sections));
        }
        StringBuilder line = new StringBuilder("thread dump of ").append(Words.count(dumped.size(), "JVM", "JVMs"))
                .append(dumped.size() == 1 ? " (pid " : " (pids ");
        for (int i = 0; i < dumped.size(); i++) {
            line.append(i == 0 ? "" : ", ").append(dumped.get(i).id.pid());
        }
        line.append(") in ").append(file.path);
        if (!skipped.isEmpty()) {
            line.append("; ").append(skips(skipped, 3));
        }
        return new Outcome(file.path, line.toString(), skipped.isEmpty(), listeners(sections));
    }

    /** True when the process of {@code proc} (/proc/PID) sees the same / as this JVM: no mount namespace. */
    static boolean sameRoot(Path proc) {
        try {
            return Files.isSameFile(proc.resolve("root"), Path.of("/"));
        } catch (IOException e) {
            return false;
        }
    }

    private static List<Listener> listeners(List<Section> sections) {
        List<Listener> listeners = new ArrayList<>();
        for (Section s : sections) {
            Listener l = s.attach != null ? s.attach.listener() : null;
            if (l != null) {
                listeners.add(l);
            }
        }
        return listeners;
    }

    /** The JVMs among {@code processes}, in pid order. */
    private static List<Section> jvms(List<ProcessId> processes) {
        List<Section> sections = new ArrayList<>();
        for (ProcessId id : processes) {
            String kind = jvmKind(id.pid());
            if (kind != null) {
                sections.add(new Section(id, commandLine(id.pid()), kind.equals("hotspot") ? null : kind));
            }
        }
        sections.sort(Comparator.comparingInt(s -> s.id.pid()));
        return sections;
    }

    /** Asks every JVM at once, each on a thread of its own; by {@code answerBy}, each section is settled. */
    private static void askAll(List<Section> sections, long answerBy, Consumer<Path> guard,
                               CompletableFuture<String> cancel) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < sections.size(); i++) {
            Section s = sections.get(i);
            if (s.kind != null) {
                s.settle(null, "is not a HotSpot JVM (" + s.kind + "), whose attach protocol is not spoken here");
            } else if (i >= MAX_JVMS) {
                s.settle(null, "is one JVM more than the " + MAX_JVMS + " dumped at most");
            } else {
                s.attach = new HotSpotAttach(s.id, ANSWER_NANOS, guard);
                Thread t = Daemons.start(() -> {
                    try {
                        s.settle(s.attach.threadPrint(answerBy, MAX_BYTES_PER_JVM), null);
                    } catch (HotSpotAttach.Refused e) {
                        s.settle(null, e.getMessage());
                    } catch (RuntimeException e) {
                        s.settle(null, "could not be attached: " + Reasons.of(e));
                    }
                }, "supervisor-attach-" + s.id.pid());
                threads.add(t);
            }
        }
        // A signal ends every attempt at once, as the deadline does.
        cancel.thenRun(() -> sections.forEach(s -> {
            if (s.attach != null) {
                s.attach.cancel();
            }
        }));
        joinAll(threads, answerBy);
        // Past the deadline: a blocked connect or read returns now, a wait for the listener ends
        // with its own reason, and each removes its trigger file; a moment for that, then done.
        for (Section s : sections) {
            if (s.attach != null) {
                s.attach.cancel();
            }
        }
        joinAll(threads, System.nanoTime() + SETTLE_NANOS);
        for (Section s : sections) {
            s.settle(null, "did not answer the attach within " + Durations.format(ANSWER_NANOS));
        }
    }

    private static void joinAll(List<Thread> threads, long deadline) {
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** "2 skipped: pid 12 does not allow attach (...); pid 14 is stopped (SIGSTOP)". */
    private static String skips(List<Section> skipped, int most) {
        StringBuilder b = new StringBuilder().append(skipped.size()).append(" skipped: ");
        for (int i = 0; i < skipped.size() && i < most; i++) {
            b.append(i == 0 ? "" : "; ").append("pid ").append(skipped.get(i).id.pid()).append(' ').append(skipped.get(i).skipped());
        }
        if (skipped.size() > most) {
            b.append("; and ").append(skipped.size() - most).append(" more");
        }
        return b.toString();
    }

    /**
     * The dump's file, {@code supervisor-threads-TIME-MARKER.txt}, mode 0600: made new (never one
     * that exists, nor through a link planted in its place) and written through the descriptor
     * that made it, so that whoever can write in the directory (the task, in its own working
     * directory) cannot swap a link in between and have the supervisor write elsewhere.
     */
    private static final class DumpFile {
        final Path path;
        private final FileChannel channel;

        private DumpFile(Path path, FileChannel channel) {
            this.path = path;
            this.channel = channel;
        }

        static DumpFile create(Path dir, String marker) throws IOException {
            String stem = "supervisor-threads-" + STAMP.format(Instant.now()) + "-" + marker;
            for (int n = 1; ; n++) {
                Path file = dir.resolve(stem + (n == 1 ? "" : "-" + n) + ".txt");
                try {
                    return new DumpFile(file, FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
                } catch (FileAlreadyExistsException e) {
                    if (n == 9) {
                        throw e;
                    }
                }
            }
        }

        void write(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        void close() throws IOException {
            channel.close();
        }

        /** Closes and removes it: no empty or partial file is left to be taken for a dump. */
        void discard() {
            try {
                channel.close();
                Files.deleteIfExists(path);
            } catch (IOException e) {
                // left behind at worst: an empty file, which no supervisor: line names
            }
        }
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return Reasons.of(e);
    }

    /**
     * "hotspot", "OpenJ9" or another name when {@code pid} maps a JVM library, null when it maps
     * none or cannot be read (gone, or another user's).
     */
    static String jvmKind(int pid) {
        boolean jvm = false;
        try (BufferedReader maps = Files.newBufferedReader(Path.of("/proc", Integer.toString(pid), "maps"),
                StandardCharsets.ISO_8859_1)) {
            for (String line = maps.readLine(); line != null; line = maps.readLine()) {
                if (line.contains("/libj9vm")) {
                    return "OpenJ9";
                }
                if (line.endsWith("/libjvm.so")) {
                    jvm = true;
                }
            }
        } catch (IOException e) {
            return null;
        }
        return jvm ? "hotspot" : null;
    }

    private static String commandLine(int pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
            return Printable.escape(new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip());
        } catch (IOException e) {
            return "(command line unreadable)";
        }
    }
}
