package supervisor.cli.timeout;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import supervisor.launch.ExitStatus;
import supervisor.log.Log;
import supervisor.log.Words;
import supervisor.platform.PlatformException;
import supervisor.platform.Signal;
import supervisor.process.SupervisedProcess;
import supervisor.terminate.KillReport;
import supervisor.terminate.OwnedChildren;

/**
 * One command under {@code timeout}, from its start to the status, by GNU timeout's rules
 * ({@code cleanup()} and {@code main()} of coreutils 9.1's {@code src/timeout.c}), with the
 * signals going to the command's whole tree:
 * <ul>
 *   <li>When the time is up, or on SIGALRM, the command has timed out: SIGNAL (TERM by default)
 *       goes to it and every process it started, then CONT (a stopped process must wake to act
 *       on it). With {@code -k}, the first signal sent, for whatever reason, starts the kill
 *       timer instead: when it expires, KILL goes to the whole tree.</li>
 *   <li>HUP, INT, TERM and SIGNAL sent to this process are passed on the same way, not as a
 *       timeout. A signal once passed on or sent (but for {@code --foreground}) is ignored from
 *       then on, as GNU's is.</li>
 *   <li>The status: 137 once KILL was sent; else 124 if it timed out (unless
 *       {@code --preserve-status}); else the command's own, and when it died of a signal this
 *       process dies of the same one, so that its caller sees what its caller would have seen.</li>
 *   <li>What the command leaves running when it ends is not left running (GNU's timeout exits
 *       and leaves it): it gets SIGNAL, if nothing was sent yet, and KILL after the {@code -k}
 *       duration, or after {@link #LEFTOVER_GRACE_NANOS} without {@code -k}.</li>
 * </ul>
 * Events (the command's end, a signal) come from a queue, deadlines are its poll timeouts, and
 * one loop on the calling thread decides, as in {@code supervisor run}'s StopLoop.
 */
final class TimeoutSession {
    /** How long what a command left running gets between SIGNAL and KILL, without {@code -k}. */
    static final long LEFTOVER_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How often the tree is looked at while what the command left is stopping. */
    private static final long DRAIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    static final int TIMED_OUT = 124;
    static final int KILLED = 128 + Signal.KILL;
    private static final int ALRM = 14;

    /** How the run ends: exit with {@code status}, or die of {@code signal} when it is not 0. */
    record Outcome(int status, int signal) {
    }

    private sealed interface Event permits Exited, Signalled {
    }

    private record Exited(ExitStatus status) implements Event {
    }

    private record Signalled(int signal) implements Event {
    }

    private final TimeoutOptions options;
    private final Messages messages;
    private final SupervisedProcess command;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final long leftoverGrace;
    private int signal; // what the next "time is up" sends: SIGNAL, then KILL once -k has started
    private long killAfter; // -k, until the first signal starts its timer
    private long alarmAt; // the one timer, as GNU's: the timeout, then the kill; 0: none
    private boolean timedOut;
    private boolean killed; // KILL went to the tree while the command ran
    private boolean sentAny;
    private long ignoredNow; // signals (bit N for N) passed on to the group, which GNU then ignores
    private ExitStatus exited;
    private long leftoverKillAt;

    TimeoutSession(TimeoutOptions options, Messages messages, SupervisedProcess command) {
        this.options = options;
        this.messages = messages;
        this.command = command;
        this.signal = options.signal();
        this.killAfter = options.killAfterNanos();
        this.leftoverGrace = options.killAfterNanos() > 0 ? options.killAfterNanos() : LEFTOVER_GRACE_NANOS;
    }

    /**
     * Runs until the command and everything it started are gone, then releases what was made
     * for it. Call on the thread that started it, right after the start.
     *
     * @param startedAt when the command was started ({@link System#nanoTime()}), where DURATION counts from
     */
    Outcome run(long startedAt) throws InterruptedException {
        // Classes, not lambdas: each lambda's first use spins a class at run time (milliseconds
        // on the critical path of a short command), which the build's AOT cache does not hold.
        TimeoutSignals.connect(new IntConsumer() {
            @Override
            public void accept(int signal) {
                events.add(new Signalled(signal));
            }
        });
        command.exit().thenAccept(new Consumer<ExitStatus>() {
            @Override
            public void accept(ExitStatus status) {
                events.add(new Exited(status));
            }
        });
        if (options.timeoutNanos() > 0 && options.timeoutNanos() < GnuDuration.FOREVER) {
            alarmAt = startedAt + options.timeoutNanos();
        }
        try {
            loop();
        } finally {
            Log.trace("releasing");
            KillReport report = command.release();
            if (report != null && !report.complete()) {
                Log.error("could not kill " + Words.count(report.survivors().size(), "process", "processes")
                        + " of the command's tree: " + report.survivors());
            }
        }
        return outcome();
    }

    private void loop() throws InterruptedException {
        while (true) {
            long deadline = exited != null ? Math.min(leftoverKillAt, System.nanoTime() + DRAIN_POLL_NANOS) : alarmAt;
            Event event = deadline == 0 ? events.take() : events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (event instanceof Signalled s) {
                if (ignored(s.signal())) {
                    continue;
                }
                cleanup(s.signal());
                if (killed) {
                    return;
                }
            } else if (event instanceof Exited e) {
                exited = e.status();
                Log.trace("command exited");
                if (command.treeEmpty()) {
                    return;
                }
                leftovers();
            } else if (exited != null) {
                if (command.treeEmpty()) {
                    return;
                }
                if (System.nanoTime() - leftoverKillAt >= 0) {
                    say(Signal.KILL, true);
                    kill();
                    return;
                }
            } else if (alarmAt != 0 && System.nanoTime() - alarmAt >= 0) {
                cleanup(ALRM);
                if (killed) {
                    return;
                }
            }
        }
    }

    /**
     * GNU's {@code cleanup(sig)}: ALRM is the time being up; any other signal is passed on as it
     * is. The first signal starts the {@code -k} timer.
     */
    private void cleanup(int received) {
        int sig = received;
        if (received == ALRM) {
            timedOut |= exited == null; // a command that has ended cannot time out any more
            sig = signal;
            alarmAt = 0;
        }
        if (killAfter > 0) {
            signal = Signal.KILL;
            alarmAt = System.nanoTime() + killAfter;
            killAfter = 0;
        }
        if (exited != null) {
            // Only what the command left is still running: it gets the signal too.
            say(sig, true);
        } else {
            say(sig, false);
        }
        send(sig);
        if (!options.foreground() && sig > 0 && sig < Long.SIZE) {
            ignoredNow |= 1L << sig;
        }
    }

    /**
     * GNU's {@code send_sig(0, sig)} ignores {@code sig} from then on, not to get its own signal
     * back from the group it sends to: a second TERM sent to a timeout that has sent TERM (at the
     * time being up, or passing one on) does nothing, and {@code -v} says nothing. Not with
     * {@code --foreground}, where GNU signals the command alone.
     */
    private boolean ignored(int received) {
        return received > 0 && received < Long.SIZE && (ignoredNow & 1L << received) != 0;
    }

    /** The command ended and left processes running: they are stopped too. */
    private void leftovers() {
        leftoverKillAt = System.nanoTime() + leftoverGrace;
        if (!sentAny) {
            say(signal, true);
            send(signal);
        }
    }

    private void send(int sig) {
        sentAny = true;
        if (sig == 0) {
            return; // GNU's kill(pid, 0): nothing is sent
        }
        if (sig == Signal.KILL) {
            kill();
            killed |= exited == null;
            return;
        }
        try {
            command.terminate(sig, true);
            if (sig != Signal.CONT) {
                command.terminate(Signal.CONT, true);
            }
        } catch (PlatformException e) {
            Log.error("cannot send " + Signal.name(sig) + " to the command's processes: " + e.getMessage());
        }
    }

    private void kill() {
        try {
            KillReport report = command.kill();
            if (!report.complete()) {
                Log.error("could not kill " + Words.count(report.survivors().size(), "process", "processes")
                        + " of the command's tree: " + report.survivors());
            }
        } catch (PlatformException e) {
            Log.error("cannot kill the command's processes: " + e.getMessage());
        }
    }

    /** With -v, GNU's "sending signal TERM to command 'sleep'", and the same for what it left running. */
    private void say(int sig, boolean leftovers) {
        if (!options.verbose()) {
            return;
        }
        String name = GnuSignals.nameOrNumber(sig);
        if (leftovers) {
            messages.say("sending signal ", name, " to the processes command ", messages.quote(options.commandName()),
                    " left running");
        } else {
            messages.say("sending signal ", name, " to command ", messages.quote(options.commandName()));
        }
    }

    /** GNU's status: see the class comment. */
    private Outcome outcome() {
        if (killed) {
            return new Outcome(KILLED, 0);
        }
        ExitStatus status = exited;
        if (status == null) {
            status = OwnedChildren.ended(command.process()); // released: it has ended
        }
        int code;
        boolean preserve = options.preserveStatus();
        if (status.signal() > 0) {
            if (!timedOut) {
                return new Outcome(128 + status.signal(), status.signal());
            }
            if (status.signal() == Signal.KILL) {
                preserve = true; // told apart from a timeout: it was killed
            }
            code = 128 + status.signal();
        } else {
            code = status.code(); // an exit, or 128+N the JDK could not tell from a signal: taken as an exit
        }
        return new Outcome(timedOut && !preserve ? TIMED_OUT : code, 0);
    }
}
