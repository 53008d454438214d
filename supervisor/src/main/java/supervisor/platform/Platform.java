package supervisor.platform;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Where the native layer comes from. Loading JNA costs 60-120 ms of a JVM's start, so it is
 * loaded on a background thread that {@link #preload()} starts as early as possible, and whoever
 * first needs a signal sent waits for it in {@link #posix()}. A run whose task ends by itself with
 * nothing left behind never waits for it at all.
 */
public final class Platform {
    private static final CompletableFuture<Posix> POSIX = new CompletableFuture<>();
    private static volatile boolean started;
    /** How long a background load waits before it begins; 0: at once (see {@link #deferLoading}). */
    private static volatile long deferNanos;
    /** Set when someone needs the native layer now: a deferred load stops waiting. */
    private static volatile boolean needed;
    private static volatile Thread loader;

    private Platform() {
    }

    public static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
    }

    /** Starts loading the native layer, once; returns at once. */
    public static void preload() {
        if (started) {
            return;
        }
        synchronized (Platform.class) {
            if (started) {
                return;
            }
            started = true;
        }
        loader = Daemons.start(Platform::deferredLoad, "supervisor-native-loader");
    }

    /**
     * From now on a load started in the background ({@link #preload}, {@link #whenLoaded}) waits
     * {@code nanos} before it begins, unless {@link #posix()} is called meanwhile: for a short
     * one-shot command ({@code timeout 10 true}), which would pay for the load (60-120 ms of CPU
     * beside its own, on a small machine) and end before using it.
     */
    public static void deferLoading(long nanos) {
        deferNanos = nanos;
    }

    private static void deferredLoad() {
        long until = System.nanoTime() + deferNanos;
        while (!needed && System.nanoTime() - until < 0) {
            LockSupport.parkNanos(until - System.nanoTime());
        }
        load();
    }

    private static void load() {
        try {
            if (!isLinux()) {
                throw new PlatformException("native process control is Linux-only (this is "
                        + System.getProperty("os.name") + ")");
            }
            POSIX.complete(new LinuxPosix());
        } catch (Throwable t) {
            POSIX.completeExceptionally(t);
        }
    }

    /**
     * What a child JVM needs on its command line to load the same JNA as this JVM (a pool worker
     * that makes itself the child subreaper): the JNA jar for its class path, then its JVM options
     * (the native part extracted at build time, when this JVM was given it, so that JNA does not
     * unpack it again; and native access without the warning of JDK 24 and later, an option
     * Java 17 accepts too). Empty when this JVM has no JNA on its class path.
     */
    public static Optional<JnaForChild> jnaForChild() {
        try {
            URL where = Class.forName("com.sun.jna.Native", false, Platform.class.getClassLoader())
                    .getProtectionDomain().getCodeSource().getLocation();
            Path jar = Path.of(where.toURI());
            List<String> options = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
            String boot = System.getProperty("jna.boot.library.path");
            if (boot != null) {
                options.add("-Djna.boot.library.path=" + boot);
                options.add("-Djna.nosys=true");
            }
            return Optional.of(new JnaForChild(jar.toString(), List.copyOf(options)));
        } catch (ClassNotFoundException | URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** See {@link #jnaForChild()}. */
    public record JnaForChild(String classPath, List<String> jvmOptions) { }

    /**
     * Runs {@code action} with the native layer once it is loaded: at once, on this thread, if it
     * is; else on the loader's thread when it is. Never if it cannot be loaded. For work that may
     * come late but must not wait for the load on a path that is timed (a spawn).
     */
    public static void whenLoaded(Consumer<Posix> action) {
        preload();
        POSIX.thenAccept(action);
    }

    /** True once the native layer is loaded (or failed to load): {@link #posix()} will not block. */
    public static boolean ready() {
        return POSIX.isDone();
    }

    /**
     * The native layer, waiting for it to load if need be.
     *
     * @throws PlatformException when it cannot be loaded (not Linux, JNA missing or broken)
     */
    public static Posix posix() {
        if (!POSIX.isDone() && !needed) {
            needed = true;
            Thread t = loader;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        preload();
        try {
            return POSIX.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof PlatformException pe) {
                throw pe;
            }
            throw new PlatformException("cannot load native support through JNA: " + cause, cause);
        }
    }
}
