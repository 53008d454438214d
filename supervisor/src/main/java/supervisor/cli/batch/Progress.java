package supervisor.cli.batch;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import supervisor.platform.Daemons;

/**
 * The progress line on stderr, when stderr is a terminal: done and total, rate, ETA, failures.
 * Worker stderr lines go through here too, so that they never land inside the progress line.
 */
final class Progress {
    private static final FileOutputStream STDERR = new FileOutputStream(FileDescriptor.err);
    private static final boolean TTY = stderrIsTerminal();
    private static volatile boolean shown;

    private volatile long total;
    private final Counts counts;
    private final long started;
    private final Thread painter;

    private Progress(Counts counts, long started) {
        this.total = -1;
        this.counts = counts;
        this.started = started;
        if (TTY) {
            painter = Daemons.start(this::paintLoop, "supervisor-batch-progress");
        } else {
            painter = null;
        }
    }

    static Progress forStderr(Counts counts, long started) {
        return new Progress(counts, started);
    }

    /** True when the progress line shows (stderr is a terminal). */
    boolean shown() {
        return painter != null;
    }

    /** The number of calls, once known; until then the line shows no total and no ETA. */
    void total(long calls) {
        total = calls;
    }

    /** A worker's stderr line, written whole, above the progress line. */
    static void stderrLine(String line) {
        write((shown ? "\r\033[K" : "") + line + "\n");
    }

    void finish() {
        if (painter != null) {
            painter.interrupt();
            try {
                painter.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (shown) {
                write("\r\033[K");
                shown = false;
            }
        }
    }

    private void paintLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
            write("\r\033[K" + line());
            shown = true;
        }
    }

    String line() {
        long done = counts.done();
        long total = this.total;
        double seconds = (System.nanoTime() - started) / 1e9;
        double rate = seconds > 0 ? done / seconds : 0;
        StringBuilder b = new StringBuilder("supervisor: ").append(done);
        if (total >= 0) {
            b.append('/').append(total);
        }
        b.append(String.format(Locale.ROOT, " calls, %.0f/s", rate));
        if (total >= 0 && rate > 0) {
            long eta = (long) ((total - done) / rate);
            b.append(String.format(Locale.ROOT, ", ETA %d:%02d", eta / 60, eta % 60));
        }
        b.append(", ").append(counts.notOk()).append(" not ok");
        return b.toString();
    }

    private static synchronized void write(String text) {
        try {
            STDERR.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // stderr is gone
        }
    }

    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
