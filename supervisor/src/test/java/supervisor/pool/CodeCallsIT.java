package supervisor.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import supervisor.testing.Procs;

/**
 * Issue 24: the caller's own code in a worker JVM, with no worker jar: lambdas
 * ({@link WorkerPool#call}, {@link WorkerPool#submit(supervisor.worker.WorkerCallable)}), an
 * interface proxy ({@link WorkerPool#proxy}) and one JVM per call ({@link Isolated#call}). The
 * code's own exceptions arrive as themselves; what the pool does to a worker that hangs or
 * crashes holds as for byte[] calls. Real worker JVMs, started with this test's class path (a
 * Surefire/Failsafe manifest-only jar); each test proves nothing is left.
 */
class CodeCallsIT {
    static final Duration LONG = Duration.ofSeconds(60);
    private final String testId = UUID.randomUUID().toString();
    private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();
    private final List<WorkerPool> pools = new ArrayList<>();

    private PoolSettings.Builder settings() {
        return PoolSettings.forClassPath().workers(1)
                .environment("SUPERVISOR_TEST_ID", testId)
                .jvmOption("-Xmx64m").jvmOption("-XX:TieredStopAtLevel=1")
                .grace(Duration.ofMillis(300))
                .workerOutput(output::add);
    }

    private WorkerPool pool(PoolSettings.Builder b) {
        WorkerPool p = WorkerPool.start(b.build());
        pools.add(p);
        return p;
    }

    @AfterEach
    void nothingLeftBehind() {
        pools.forEach(WorkerPool::shutdownNow);
        Procs.assertNoneLeft("SUPERVISOR_TEST_ID=" + testId, Duration.ofSeconds(5));
    }

    static long pid() {
        return ProcessHandle.current().pid();
    }

    /** A record with a list of records: allowed in answers by default. */
    record Page(int number, String text) implements Serializable { }

    record Document(String title, List<Page> pages, Map<String, Integer> counts) implements Serializable { }

    /** An exception class of the caller's, off the default allow-list. */
    static final class LegacyException extends Exception {
        private static final long serialVersionUID = 1L;

        LegacyException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Test
    void aLambdaRunsInAWorkerThatIsReusedAndItsValueComesBack() {
        WorkerPool p = pool(settings());
        String word = "pages";
        long worker = p.call(CodeCallsIT::pid, LONG);
        assertNotEquals(pid(), worker, "the code ran in another JVM");
        assertEquals(worker, p.call(CodeCallsIT::pid, LONG), "the same warm worker serves the next call");
        Document d = p.call(() -> new Document("t", List.of(new Page(1, word)), Map.of(word, 1)), LONG);
        assertEquals(new Document("t", List.of(new Page(1, "pages")), Map.of("pages", 1)), d);
        Object none = p.call(() -> null, LONG);
        assertEquals(null, none);
        int[] big = p.call(() -> new int[100_000], LONG);
        assertEquals(100_000, big.length);
    }

    @Test
    void theCodesOwnCheckedExceptionIsThrownWithItsMessageCauseAndStack() {
        WorkerPool p = pool(settings());
        IOException e = assertThrows(IOException.class, () -> p.call(() -> {
            throw new IOException("disk gone", new IllegalStateException("inner"));
        }, LONG));
        assertEquals("disk gone", e.getMessage());
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals("inner", e.getCause().getMessage());
        assertTrue(Arrays.stream(e.getStackTrace()).anyMatch(f -> f.getClassName().equals(CodeCallsIT.class.getName())),
                "the worker's stack, down to the lambda: " + Arrays.toString(e.getStackTrace()));
        UncheckedIOException u = assertThrows(UncheckedIOException.class, () -> p.call(() -> {
            throw new UncheckedIOException(new IOException("unchecked"));
        }, LONG));
        assertEquals("unchecked", u.getCause().getMessage());
        assertEquals(42, (int) p.call(() -> 42, LONG), "the worker goes on");
        long before = p.call(CodeCallsIT::pid, LONG);
        // A VirtualMachineError leaves the worker's JVM unsound: the pool replaces it (recycleAfterFatalError).
        TaskFailedException so = assertThrows(TaskFailedException.class, () -> p.call(CodeCallsIT::recurse, LONG));
        assertEquals(StackOverflowError.class.getName(), so.remoteClass());
        assertNotEquals(before, (long) p.call(CodeCallsIT::pid, LONG), "a new worker after a fatal error");
    }

    static int recurse() {
        return recurse() + 1;
    }

    @Test
    void anExceptionOffTheAllowListArrivesAsTaskFailedExceptionWithItsTextOrItselfWhenAllowed() {
        WorkerPool p = pool(settings());
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> p.call(() -> {
            throw new LegacyException("bad pdf", new IOException("at byte 7"));
        }, LONG));
        assertEquals(LegacyException.class.getName(), e.remoteClass());
        assertEquals("bad pdf", e.remoteMessage());
        assertTrue(e.getMessage().contains("is not on the allow-list"), e.getMessage());
        assertTrue(e.remoteStackTrace().contains("at byte 7"), e.remoteStackTrace());

        WorkerPool allowing = pool(settings().allowPackages("supervisor.pool"));
        LegacyException own = assertThrows(LegacyException.class, () -> allowing.call(() -> {
            throw new LegacyException("bad pdf", new IOException("at byte 7"));
        }, LONG));
        assertEquals("at byte 7", own.getCause().getMessage());
    }

    @Test
    void submitCompletesWithTheValueOrTheCodesOwnException() throws Exception {
        WorkerPool p = pool(settings().workers(2));
        CompletionStage<Integer> six = p.submit(() -> 2 * 3, LONG);
        CompletionStage<Integer> failing = p.submit(() -> {
            throw new IOException("async");
        });
        assertEquals(6, six.toCompletableFuture().get(60, TimeUnit.SECONDS));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> failing.toCompletableFuture().get(60, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause());
        assertEquals("async", e.getCause().getMessage());
        assertThrows(UnsupportedOperationException.class, () -> ((java.util.concurrent.CompletableFuture<Integer>) six)
                .complete(7), "only the pool completes the stage");
    }

    @Test
    void aTimeoutThrowsCallTimeoutExceptionWithTheWorkersStackAndTheNextCallWorks() {
        WorkerPool p = pool(settings().grace(Duration.ofSeconds(2))); // the stack's full bound, 500 ms

        long first = p.call(CodeCallsIT::pid, LONG);
        CallTimeoutException e = assertThrows(CallTimeoutException.class, () -> p.call(() -> {
            while (true) {
                spin();
            }
        }, Duration.ofMillis(300)));
        assertTrue(Arrays.stream(e.workerStack()).anyMatch(f -> f.getMethodName().equals("spin")
                || f.getClassName().equals(CodeCallsIT.class.getName())), Arrays.toString(e.workerStack()));
        long next = p.call(CodeCallsIT::pid, LONG);
        assertNotEquals(first, next, "a worker that ignored the cancel was killed and replaced");
    }

    static volatile long spun;

    static void spin() {
        spun++;
    }

    @Test
    void aCrashThrowsWorkerCrashedExceptionAndTheNextCallRunsInANewWorker() {
        WorkerPool p = pool(settings());
        long first = p.call(CodeCallsIT::pid, LONG);
        WorkerCrashedException e = assertThrows(WorkerCrashedException.class, () -> p.call(() -> {
            Runtime.getRuntime().halt(3);
            return 0;
        }, LONG));
        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
        assertNotEquals(first, (long) p.call(CodeCallsIT::pid, LONG));
    }

    @Test
    void aLambdaThatCapturesASocketIsRefusedAtTheCallNamingItsType() throws IOException {
        WorkerPool p = pool(settings());
        try (Socket socket = new Socket()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.call(() -> socket.isConnected(), LONG));
            assertTrue(e.getMessage().contains("it captures a java.net.Socket, which is not Serializable"), e.getMessage());
        }
        assertEquals(0, p.stats().submitted(), "nothing was sent");
    }

    @Test
    void aResultThatCannotBeSerializedIsAnAnswerRefusedException() {
        WorkerPool p = pool(settings());
        AnswerRefusedException e = assertThrows(AnswerRefusedException.class, () -> p.call(Object::new, LONG));
        assertTrue(e.getMessage().contains("a java.lang.Object, cannot be sent"), e.getMessage());
        assertEquals("ok", p.call(() -> "ok", LONG));
    }

    @Test
    void aPoolOfAWorkerJarRefusesCodeWithAClearError() {
        WorkerPool p = pool(PoolSettings.builder(WorkerPoolIT.WORKER_JAR).workers(1)
                .environment("SUPERVISOR_TEST_ID", testId).workerOutput(output::add));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.call(() -> 1, LONG));
        assertTrue(e.getMessage().contains("start the pool with PoolSettings.forClassPath()"), e.getMessage());
    }

    /** The interface a caller wraps a legacy library behind. */
    @Timeout(value = 30)
    public interface Calc {
        int add(int a, int b);

        long pid();

        default int twice(int a) {
            return add(a, a);
        }

        @Timeout(value = 300, unit = TimeUnit.MILLISECONDS)
        void hang() throws InterruptedException;

        void fail(String why) throws IOException;

        Integer nothing();

        int nothingAsInt();

        String describe(Object o);
    }

    public static final class NativeCalc implements Calc {
        private int calls; // one instance per worker: counts that worker's calls

        @Override
        public int add(int a, int b) {
            calls++;
            return a + b;
        }

        @Override
        public long pid() {
            return ProcessHandle.current().pid() * 1000 + calls;
        }

        @Override
        public void hang() throws InterruptedException {
            Thread.sleep(600_000);
        }

        @Override
        public void fail(String why) throws IOException {
            throw new IOException(why);
        }

        @Override
        public Integer nothing() {
            return null;
        }

        @Override
        public String describe(Object o) {
            return String.valueOf(o);
        }

        @Override
        public int nothingAsInt() {
            throw new IllegalStateException("never called: the proxy calls nothing() through this name");
        }
    }

    @Test
    void aProxyRunsEachMethodInAWorkerAndObjectAndDefaultMethodsAsJavaDoes() throws Exception {
        // A grace of 2 s: the stack at the timeout may take its full bound (500 ms) on a loaded machine.
        WorkerPool p = pool(settings().workers(2).grace(Duration.ofSeconds(2)));
        Calc calc = p.proxy(Calc.class, NativeCalc.class);
        assertEquals(5, calc.add(2, 3));
        assertEquals(8, calc.twice(4), "a default method runs here, its add in a worker");
        assertTrue(calc.toString().contains(NativeCalc.class.getName()), calc.toString());
        assertEquals(calc, calc);
        assertNotEquals(calc, p.proxy(Calc.class, NativeCalc.class));
        assertEquals(System.identityHashCode(calc), calc.hashCode());
        IOException e = assertThrows(IOException.class, () -> calc.fail("declared"));
        assertEquals("declared", e.getMessage());
        assertEquals(null, calc.nothing());
        CallTimeoutException t = assertThrows(CallTimeoutException.class, calc::hang);
        assertEquals(Duration.ofMillis(300), t.timeout(), "the method's own @Timeout");
        // The worker's stack, when it came within its bound (500 ms; a loaded machine may miss it:
        // aTimeoutThrowsCallTimeoutExceptionWithTheWorkersStack... and PoolObservabilityIT check
        // that it comes), is the hung method's, never another's.
        assertTrue(t.workerStack().length == 0
                        || Arrays.stream(t.workerStack()).anyMatch(f -> f.getMethodName().equals("hang")),
                Arrays.toString(t.workerStack()));

        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> sums = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                int n = i;
                sums.add(threads.submit(() -> calc.add(n, 1)));
            }
            for (int i = 0; i < 400; i++) {
                assertEquals(i + 1, sums.get(i).get(60, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }
        long a = calc.pid();
        assertTrue(a % 1000 > 0, "the worker kept its instance across calls: " + a);
    }

    @Test
    void aProxyOfAClassThatIsNotAnImplementationIsRefused() {
        WorkerPool p = pool(settings());
        @SuppressWarnings({"unchecked", "rawtypes"})
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.proxy(Calc.class, (Class) String.class));
        assertTrue(e.getMessage().contains("is not a concrete class implementing"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.proxy(NativeCalc.class, NativeCalc.class));
    }

    @Test
    void isolatedCallRunsEachCallInAFreshJvmAndLeavesNothing() throws Exception {
        PoolSettings.Builder b = settings();
        long one = Isolated.call(CodeCallsIT::pid, LONG, b);
        long two = Isolated.call(CodeCallsIT::pid, LONG, b);
        assertNotEquals(pid(), one);
        assertNotEquals(one, two, "one JVM per call");
        IOException e = assertThrows(IOException.class, () -> Isolated.call(() -> {
            throw new IOException("isolated");
        }, LONG, b));
        assertEquals("isolated", e.getMessage());
        assertFalse(output.stream().anyMatch(l -> l.contains("Exception")), String.join("\n", output));
    }

    /** A WorkerCallable that is a class of its own, not a lambda: it crosses serialized whole. */
    static final class Sum implements supervisor.worker.WorkerCallable<Long, RuntimeException> {
        private static final long serialVersionUID = 1L;
        private final long[] values;

        Sum(long... values) {
            this.values = values;
        }

        @Override
        public Long call() {
            return Arrays.stream(values).sum();
        }
    }

    @Test
    void aCallableClassCrossesWholeAndAllKindsOfCapturedValuesArriveExactly() {
        WorkerPool p = pool(settings());
        assertEquals(6L, p.call(new Sum(1, 2, 3), LONG));
        String odd = "a\u0000b\ud800c\uD83D\uDE00"; // a NUL, an unpaired surrogate, an emoji
        byte[] bytes = {0, -1, 127, -128};
        Page record = new Page(7, odd);
        List<Object> echoed = p.call(() -> Arrays.asList(odd, bytes, 1, 2L, 3.5d, 4.5f, 'c', (short) 5, (byte) 6,
                true, null, record, List.of(record)), LONG);
        assertEquals(odd, echoed.get(0));
        assertTrue(Arrays.equals(bytes, (byte[]) echoed.get(1)));
        assertEquals(List.of(1, 2L, 3.5d, 4.5f, 'c', (short) 5, (byte) 6, true), echoed.subList(2, 10));
        assertEquals(null, echoed.get(10));
        assertEquals(record, echoed.get(11));
        assertEquals(List.of(record), echoed.get(12));
        assertEquals(odd.length(), (int) p.call(odd::length, LONG), "a bound method reference");
        assertEquals(List.of(), p.call(ArrayList::new, LONG), "a constructor reference");
    }

    @Test
    void aLambdaThatCapturesThisOfAClassThatIsNotSerializableIsRefusedNamingIt() {
        WorkerPool p = pool(settings());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> p.call(() -> this.testId.length(), LONG));
        assertTrue(e.getMessage().contains("it captures a " + CodeCallsIT.class.getName()), e.getMessage());
    }

    @Test
    void codeOfAClassTheWorkersCannotLoadIsRefusedAtTheCall() throws Exception {
        WorkerPool p = pool(settings());
        java.net.URL classes = CodeCallsIT.class.getProtectionDomain().getCodeSource().getLocation();
        try (java.net.URLClassLoader other = childFirst(classes)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.call(sumOf(other), LONG));
            assertTrue(e.getMessage().contains("not by the application class loader"), e.getMessage());
        }
        assertEquals(0, p.stats().submitted(), "nothing was sent");
    }

    @Test
    void aResultOverTheFrameLimitFailsTheCallAndTheWorkerGoesOn() {
        WorkerPool p = pool(settings().maxFrameBytes(64 * 1024));
        long worker = p.call(CodeCallsIT::pid, LONG);
        AnswerRefusedException e = assertThrows(AnswerRefusedException.class, () -> p.call(() -> new byte[1 << 20], LONG));
        assertTrue(e.getMessage().contains("of 1048586 bytes, exceeds the maximum frame of 65536 bytes"), e.getMessage());
        assertEquals(worker, (long) p.call(CodeCallsIT::pid, LONG), "the same worker");
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> {
            byte[] input = new byte[1 << 20];
            p.call(() -> input.length, LONG);
        });
        assertTrue(big.getMessage().contains("exceeds the maximum frame"), big.getMessage());
    }

    @Test
    void aProxyArgumentThatIsNotSerializableIsRefusedAtTheCall() {
        WorkerPool p = pool(settings());
        Calc calc = p.proxy(Calc.class, NativeCalc.class);
        assertEquals(3, calc.add(1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> calc.describe(new Object()));
        assertTrue(e.getMessage().contains("an argument is a java.lang.Object, which is not Serializable"), e.getMessage());
        assertEquals("null", calc.describe(null), "null crosses");
    }

    private static long running(PoolStats s) {
        return s.submitted() - s.succeeded() - s.taskFailed() - s.timedOut() - s.crashed() - s.protocolErrors()
                - s.cancelled() - s.queued();
    }

    @Test
    void anInterruptedCallerCancelsItsCallAndKeepsTheInterrupt() throws Exception {
        WorkerPool p = pool(settings());
        Thread caller = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            while (running(p.stats()) == 0 && !Thread.currentThread().isInterrupted()) {
                Thread.onSpinWait();
            }
            caller.interrupt();
        });
        interrupter.start();
        try {
            java.util.concurrent.CancellationException e = assertThrows(java.util.concurrent.CancellationException.class,
                    () -> p.call(() -> {
                        Thread.sleep(60_000);
                        return 1;
                    }, LONG));
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.interrupted(), "the interrupt is kept (and cleared here)");
        } finally {
            interrupter.interrupt();
            interrupter.join();
        }
        assertEquals(2, (int) p.call(() -> 2, LONG), "the worker goes on");
        assertEquals(1, p.stats().cancelled());
    }

    // What a hostile user found (issue 24's attack pass), each now a test.

    enum Day { MON, TUE }

    /** A result or captured value whose writeObject throws. */
    static final class Unwritable implements Serializable {
        private static final long serialVersionUID = 1L;

        private void writeObject(java.io.ObjectOutputStream out) {
            throw new IllegalStateException("writeObject refuses");
        }
    }

    /** An exception whose getMessage throws. */
    static final class BadMessage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public String getMessage() {
            throw new IllegalStateException("getMessage throws");
        }
    }

    /** An exception of the caller's, too large for a small frame. */
    static final class BigException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final byte[] payload = new byte[200_000];

        BigException() {
            super("big");
        }
    }

    /** An exception class off the allow-list, to be nested in one that is on it. */
    static final class Hidden extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Hidden(String message) {
            super(message);
        }
    }

    @Test
    void submitHandsTheCodesOwnExceptionUnwrappedToCallbacksAndItsCancelStopsTheCall() throws Exception {
        WorkerPool p = pool(settings());
        CompletionStage<Object> failing = p.submit(() -> {
            throw new IOException("io");
        }, LONG);
        Throwable seen = failing.exceptionally(e -> e).toCompletableFuture().get(60, TimeUnit.SECONDS) instanceof Throwable t
                ? t : null;
        assertInstanceOf(IOException.class, seen, "exceptionally sees the exception itself");
        CompletionStage<Object> slow = p.submit(() -> {
            Thread.sleep(600_000);
            return "never";
        }, LONG);
        java.util.concurrent.CompletableFuture<Object> f = slow.toCompletableFuture();
        assertTrue(f == slow, "the stage is its own CompletableFuture");
        assertThrows(UnsupportedOperationException.class, () -> f.complete("mine"));
        assertTrue(f.cancel(true));
        assertEquals(7, (int) p.call(() -> 7, LONG), "the one worker is free again: the call was stopped");
        assertEquals(1, p.stats().cancelled());
    }

    @Test
    void anEnumSetResultIsAllowed() {
        WorkerPool p = pool(settings());
        assertEquals(java.util.EnumSet.of(Day.MON), p.call(() -> java.util.EnumSet.of(Day.MON), LONG));
        assertEquals(java.util.EnumSet.allOf(Day.class), p.call(() -> java.util.EnumSet.allOf(Day.class), LONG));
    }

    @Test
    void aResultThatFailsToSerializeIsRefusedAndTheWorkerStays() {
        WorkerPool p = pool(settings());
        long worker = p.call(CodeCallsIT::pid, LONG);
        AnswerRefusedException e = assertThrows(AnswerRefusedException.class, () -> p.call(Unwritable::new, LONG));
        assertTrue(e.getMessage().contains("writeObject refuses"), e.getMessage());
        AnswerRefusedException deep = assertThrows(AnswerRefusedException.class, () -> p.call(() -> {
            java.util.LinkedList<Object> top = new java.util.LinkedList<>();
            java.util.LinkedList<Object> at = top;
            for (int i = 0; i < 100_000; i++) {
                java.util.LinkedList<Object> next = new java.util.LinkedList<>();
                at.add(next);
                at = next;
            }
            return top;
        }, LONG));
        assertTrue(deep.getMessage().contains("StackOverflowError"), deep.getMessage());
        assertEquals(worker, (long) p.call(CodeCallsIT::pid, LONG), "the same worker: its JVM is sound");
    }

    @Test
    void aCapturedValueWhoseWriteObjectThrowsIsRefusedAtTheCall() {
        WorkerPool p = pool(settings());
        Unwritable u = new Unwritable();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.call(() -> u.hashCode(), LONG));
        assertTrue(e.getMessage().contains("writeObject refuses"), e.getMessage());
    }

    @Test
    void anExceptionWhoseGetMessageThrowsKeepsItsClassAndStack() {
        WorkerPool p = pool(settings());
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> p.call(() -> {
            throw new BadMessage();
        }, LONG));
        assertEquals(BadMessage.class.getName(), e.remoteClass());
        assertTrue(e.remoteMessage().contains("getMessage() threw"), e.remoteMessage());
    }

    @Test
    void anExceptionTooLargeForTheFrameArrivesAsItsText() {
        WorkerPool p = pool(settings().maxFrameBytes(64 * 1024).allowPackages("supervisor.pool"));
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> p.call(() -> {
            throw new BigException();
        }, LONG));
        assertEquals(BigException.class.getName(), e.remoteClass());
        assertEquals("big", e.remoteMessage());
    }

    @Test
    void anAllowedExceptionArrivesAsItselfWithACauseOffTheListAsAStandIn() {
        WorkerPool p = pool(settings());
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> p.call(() -> {
            IOException io = new IOException("io", new Hidden("deep inside"));
            io.addSuppressed(new Hidden("suppressed"));
            throw new UncheckedIOException("wrapped", io);
        }, LONG));
        assertEquals("io", e.getCause().getMessage());
        supervisor.worker.RemoteThrowable hidden = assertInstanceOf(supervisor.worker.RemoteThrowable.class,
                e.getCause().getCause());
        assertEquals(Hidden.class.getName(), hidden.remoteClass());
        assertEquals("deep inside", hidden.getMessage());
        assertTrue(hidden.getStackTrace().length > 0, "its stack is kept");
        assertEquals(Hidden.class.getName(), ((supervisor.worker.RemoteThrowable) e.getCause().getSuppressed()[0])
                .remoteClass());
    }

    @Test
    void aTimeoutThatIsNegativeOrTooLongIsRefusedAtTheCall() {
        WorkerPool p = pool(settings());
        assertThrows(IllegalArgumentException.class, () -> p.call(() -> 1, Duration.ofMillis(-5)));
        assertThrows(IllegalArgumentException.class, () -> p.call(() -> 1, Duration.ofSeconds(Long.MAX_VALUE)));
        assertThrows(IllegalArgumentException.class, () -> p.submit(() -> 1, Duration.ofDays(365L * 300)));
        assertThrows(IllegalArgumentException.class, () -> settings().grace(Duration.ofSeconds(Long.MAX_VALUE)));
        assertThrows(IllegalArgumentException.class, () -> settings().callTimeout(Duration.ofDays(1001)));
        assertEquals(0, p.stats().submitted());
    }

    @Test
    void aWorkersStderrInACrashMessageIsEscapedAndBounded() {
        WorkerPool p = pool(settings());
        WorkerCrashedException e = assertThrows(WorkerCrashedException.class, () -> p.call(() -> {
            System.err.print("e".repeat(100_000));
            System.err.println("\u001b[31mRED\rX");
            System.err.flush();
            Runtime.getRuntime().halt(1);
            return 1;
        }, LONG));
        assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20), "no control character: " + e.getMessage());
        assertTrue(e.getMessage().length() < 6000, "bounded: " + e.getMessage().length());
        assertTrue(e.getMessage().contains("RED"), e.getMessage());
    }

    @Test
    void codeFromANestedJarIsRefusedAtTheCallSayingWhy(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // Spring Boot's layout: the application's classes inside the jar, under BOOT-INF/classes.
        Path outer = dir.resolve("app.jar");
        String entry = Sum.class.getName().replace('.', '/') + ".class";
        try (java.util.jar.JarOutputStream jar = new java.util.jar.JarOutputStream(Files.newOutputStream(outer));
                java.io.InputStream in = CodeCallsIT.class.getClassLoader().getResourceAsStream(entry)) {
            jar.putNextEntry(new java.util.jar.JarEntry("BOOT-INF/classes/" + entry));
            in.transferTo(jar);
        }
        java.net.URL nested = new java.net.URL("jar:" + outer.toUri() + "!/BOOT-INF/classes/");
        WorkerPool p = pool(settings());
        try (java.net.URLClassLoader boot = childFirst(nested)) { // as Spring Boot's loader for its classes
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.call(sumOf(boot), LONG));
            assertTrue(e.getMessage().contains("nested jars, such as Spring Boot's, are not supported"), e.getMessage());
        }
        assertEquals(0, p.stats().submitted(), "nothing was sent");
    }

    /**
     * A loader of its own for {@link Sum} from {@code where}, child first; everything else (the
     * pool's WorkerCallable among it) from the test's loader.
     */
    private static java.net.URLClassLoader childFirst(java.net.URL where) {
        return new java.net.URLClassLoader(new java.net.URL[] {where}, CodeCallsIT.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.equals(Sum.class.getName())) {
                    synchronized (getClassLoadingLock(name)) {
                        Class<?> c = findLoadedClass(name);
                        return c != null ? c : findClass(name);
                    }
                }
                return super.loadClass(name, resolve);
            }
        };
    }

    /** A Sum of 1, of the class {@code loader} made. */
    @SuppressWarnings("unchecked")
    private static supervisor.worker.WorkerCallable<Long, RuntimeException> sumOf(ClassLoader loader) throws Exception {
        var constructor = loader.loadClass(Sum.class.getName()).getDeclaredConstructor(long[].class);
        constructor.setAccessible(true);
        return (supervisor.worker.WorkerCallable<Long, RuntimeException>) constructor.newInstance((Object) new long[] {1});
    }
}
