package supervisor.process;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import supervisor.platform.ProcessId;
import supervisor.terminate.KillReport;
import supervisor.terminate.Terminator;

/**
 * One process's {@link Terminator}, which takes one caller at a time, shared by every thread
 * that stops, kills, looks at or releases the process: calls take turns; a kill asked for while
 * one is under way gets that kill's report instead of a second kill; a polite stop during a kill
 * sends nothing; after {@link #close()} nothing is sent at all.
 */
final class SharedTerminator {
    private static final KillReport NOTHING = new KillReport(0, 0, List.of());

    private final Terminator terminator;
    // The lock (this) guards the three fields below. It is held only to read or flip them, never
    // across a call on the terminator (a signal, a /proc scan, a kill's wait): a caller whose turn
    // it is not waits for a short call in wait(), which lets the lock go, and for a kill on the
    // kill's future, outside the lock.
    private boolean busy; // a thread is calling the terminator
    private CompletableFuture<KillReport> killing; // the kill under way, which every kill() meanwhile shares
    private boolean closed; // closed: nothing more is sent

    SharedTerminator(Terminator terminator) {
        this.terminator = terminator;
    }

    String mechanism() {
        return terminator.mechanism();
    }

    /** SIGTERM to the process and its group; nothing during a kill or once closed. */
    void terminate() {
        call(t -> {
            t.terminate();
            return 0;
        }, 0, 0);
    }

    /** See {@link Terminator#terminate(int, boolean)}; 0, and nothing sent, during a kill or once closed. */
    int terminate(int signal, boolean wholeTree) {
        return call(t -> t.terminate(signal, wholeTree), 0, 0);
    }

    /** After the kill under way, if any; empty once closed. */
    List<ProcessId> processes() {
        return call(Terminator::processes, List.of(), null);
    }

    /** After the kill under way, if any; asked of the terminator even once closed. */
    boolean empty() {
        return call(Terminator::empty, null, null);
    }

    /**
     * Kills the tree by {@code deadlineNanos}, or, when a kill is under way, waits for it and
     * returns its report (or rethrows its failure); an empty report once closed.
     */
    KillReport kill(long deadlineNanos) {
        CompletableFuture<KillReport> k;
        boolean interrupted = false;
        synchronized (this) {
            while (!closed && killing == null && busy) {
                interrupted |= awaitTurn();
            }
            if (closed) {
                k = CompletableFuture.completedFuture(NOTHING);
            } else if (killing != null) {
                k = killing;
            } else {
                k = null;
                killing = new CompletableFuture<>();
                busy = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return k != null ? join(k) : killNow(deadlineNanos);
    }

    private KillReport killNow(long deadlineNanos) {
        CompletableFuture<KillReport> k;
        synchronized (this) {
            k = killing;
        }
        try {
            KillReport report = terminator.kill(deadlineNanos);
            k.complete(report);
            return report;
        } catch (RuntimeException | Error e) {
            k.completeExceptionally(e);
            throw e;
        } finally {
            synchronized (this) {
                killing = null;
                busy = false;
                notifyAll();
            }
        }
    }

    /**
     * Sends nothing more; once the call under way (a kill's, say) has ended, releases what the
     * terminator holds (a cgroup directory). Call once, after the last kill.
     */
    void close() {
        boolean interrupted = false;
        synchronized (this) {
            closed = true;
            while (busy) {
                interrupted |= awaitTurn();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        terminator.close();
    }

    /** Another thread's kill's report, or its failure rethrown. */
    private static KillReport join(CompletableFuture<KillReport> k) {
        try {
            return k.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /**
     * Calls the terminator in turn. Returns {@code whenClosed} once closed (null: calls even so),
     * and {@code whileKilling} while a kill is under way (null: waits for the kill's end, then
     * calls).
     */
    private <T> T call(Function<Terminator, T> call, T whenClosed, T whileKilling) {
        boolean interrupted = false;
        try {
            while (true) {
                CompletableFuture<KillReport> k;
                synchronized (this) {
                    while (!(closed && whenClosed != null) && killing == null && busy) {
                        interrupted |= awaitTurn();
                    }
                    if (closed && whenClosed != null) {
                        return whenClosed;
                    }
                    k = killing;
                    if (k == null) {
                        busy = true;
                        break;
                    }
                }
                if (whileKilling != null) {
                    return whileKilling;
                }
                k.handle((r, e) -> r).join(); // its outcome is its caller's; this one calls after it
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            return call.apply(terminator);
        } finally {
            synchronized (this) {
                busy = false;
                notifyAll();
            }
        }
    }

    /**
     * Waits in the lock's monitor, which lets the lock go while it waits, for another thread's
     * short call to end. Lock held.
     *
     * @return true if interrupted: the caller goes on, and sets the interrupt again once done
     */
    private boolean awaitTurn() {
        try {
            wait(100); // bounded: a lost notify would cost 100 ms, not a hang
            return false;
        } catch (InterruptedException e) {
            return true;
        }
    }
}
