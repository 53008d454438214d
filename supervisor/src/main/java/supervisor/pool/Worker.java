package supervisor.pool;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import supervisor.launch.ExitStatus;
import supervisor.launch.LaunchException;
import supervisor.log.Log;
import supervisor.platform.ProcessId;
import supervisor.process.ProcessSpec;
import supervisor.process.SupervisedProcess;
import supervisor.worker.WorkerMain;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.FrameReader;
import supervisor.worker.protocol.FrameWriter;
import supervisor.worker.protocol.Hello;

/**
 * One worker JVM: its supervised process, its protocol streams, and its stderr. Frames are read
 * only by the slot that owns the worker; writes may come from any thread.
 */
final class Worker {
    private static final int STDERR_TAIL_LINES = 12;

    final String id;
    final Process process;
    final ProcessId processId;
    final FrameReader reader;
    final FrameWriter writer;
    private final SupervisedProcess supervised;
    private final InputStream protocolIn;
    private final Thread stderrPump;
    private final ArrayDeque<String> stderrTail = new ArrayDeque<>();

    private Worker(String id, SupervisedProcess supervised, PoolSettings settings) {
        this.id = id;
        this.supervised = supervised;
        this.process = supervised.process();
        this.processId = supervised.id();
        this.protocolIn = new BufferedInputStream(process.getInputStream(), 65536);
        this.reader = new FrameReader(protocolIn, settings.maxFrameBytes);
        this.writer = new FrameWriter(new BufferedOutputStream(process.getOutputStream(), 65536),
                settings.maxFrameBytes);
        this.stderrPump = new Thread(() -> pumpStderr(settings), "supervisor-" + id + "-stderr");
        this.stderrPump.setDaemon(true);
        this.stderrPump.start();
    }

    /**
     * Starts a worker JVM; returns once it runs (not once it is ready: see the slot). Must be
     * called from a thread that outlives the worker (the parent-death signal is per thread).
     */
    static Worker start(PoolSettings settings, String id) throws IOException {
        Map<String, String> env = new HashMap<>(settings.environment);
        env.put("SUPERVISOR_PROTOCOL_FD", "3");
        env.put("SUPERVISOR_WORKER_ID", id);
        env.put("SUPERVISOR_MAX_FRAME", Integer.toString(settings.maxFrameBytes));
        env.put("SUPERVISOR_HEARTBEAT_MS", Long.toString(settings.heartbeat.toMillis()));
        ProcessSpec spec = ProcessSpec.java(settings.java, settings.jvmOptions,
                        List.of("-cp", stubJar() + ":" + settings.workerJar.toAbsolutePath(), WorkerMain.class.getName()))
                .withEnvironment(env)
                .withLimits(settings.limits)
                .withMechanism(settings.mechanism)
                .withStdio(ProcessSpec.Stdio.WORKER)
                .withPrivateTmp(true)
                .withLabel("worker " + id);
        SupervisedProcess supervised;
        try {
            supervised = SupervisedProcess.start(spec);
        } catch (LaunchException e) {
            throw new IOException(e.getMessage(), e);
        }
        Worker w = new Worker(id, supervised, settings);
        try {
            w.writer.write(Frame.hello(Hello.of(Map.of("supervisor-worker-id", id))));
        } catch (IOException e) {
            // It died at once: the slot reads its end, with its own reason, from the process.
        }
        Log.debug("worker " + id + " started: pid " + w.processId.pid() + ", " + supervised.mechanism());
        return w;
    }

    /** Where the worker-stub classes are: a jar in a distribution, a directory in a build. */
    private static String stubJar() {
        try {
            return Path.of(WorkerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the worker-stub classes: " + e, e);
        }
    }

    /** True when a frame can be read without blocking. */
    boolean frameWaiting() {
        try {
            return protocolIn.available() > 0;
        } catch (IOException e) {
            return true; // let the read report it
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL to the worker and its whole tree; safe from any thread, more than once. */
    void kill() {
        supervised.kill();
    }

    /**
     * Asks the worker to finish and exit; kills it and its tree if it has not within
     * {@code graceNanos}, and kills whatever it left behind in any case. Then frees everything.
     */
    void stop(long graceNanos) {
        try {
            writer.write(Frame.shutdown());
            process.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
        try {
            process.waitFor(graceNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        release();
    }

    /** Kills what is left of the worker's tree and frees its streams, leaf, guardian record. */
    void release() {
        supervised.release();
        closeQuietly(process.getOutputStream());
        closeQuietly(protocolIn);
        try {
            stderrPump.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(process.getErrorStream());
    }

    /** Waits up to {@code millis} for the process to end; its status, or -1 if it still runs. */
    int awaitExit(long millis) {
        try {
            if (process.waitFor(millis, TimeUnit.MILLISECONDS)) {
                return process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }

    /** How the worker ended, for a crash message: status, hs_err file, last stderr lines. */
    String describeDeath(int status) {
        StringBuilder b = new StringBuilder();
        if (status >= 0 && supervised.limited()) {
            // The limit's own message goes to stderr; its reason leads the call's error.
            int limit = supervised.limitVerdict(ExitStatus.fromJdk(status), -1);
            if (limit == supervisor.limits.Limits.MEMORY_EXCEEDED) {
                b.append("memory limit exceeded: ");
            } else if (limit == supervisor.limits.Limits.CPU_EXCEEDED) {
                b.append("CPU time limit exceeded: ");
            }
        }
        b.append("worker ").append(id).append(" (pid ").append(processId.pid())
                .append(") ").append(status < 0 ? "stopped answering" : ExitStatus.fromJdk(status).describe());
        supervised.crashLog().ifPresent(log -> b.append("; the JVM wrote ").append(log));
        List<String> tail = stderrTail();
        if (!tail.isEmpty()) {
            b.append("; its last stderr lines: ").append(String.join(" | ", tail));
        }
        return b.toString();
    }

    synchronized List<String> stderrTail() {
        return new ArrayList<>(stderrTail);
    }

    private void pumpStderr(PoolSettings settings) {
        String prefix = "[" + id + "] ";
        try (InputStream err = process.getErrorStream()) {
            byte[] buf = new byte[8192];
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            int n;
            while ((n = err.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        emit(settings, prefix, line);
                    } else {
                        line.write(buf[i]);
                    }
                }
            }
            if (line.size() > 0) {
                emit(settings, prefix, line);
            }
        } catch (IOException e) {
            // the worker is gone
        }
    }

    private void emit(PoolSettings settings, String prefix, java.io.ByteArrayOutputStream line) {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        synchronized (this) {
            if (stderrTail.size() == STDERR_TAIL_LINES) {
                stderrTail.removeFirst();
            }
            stderrTail.addLast(text);
        }
        settings.workerOutput.accept(prefix + text);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
