package supervisor.cli.timeout;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import supervisor.launch.BeforeStart;
import supervisor.launch.LaunchException;
import supervisor.log.Log;
import supervisor.platform.Platform;
import supervisor.platform.Signal;
import supervisor.process.ProcessSpec;
import supervisor.process.SupervisedProcess;
import supervisor.terminate.Mechanism;

/**
 * {@code supervisor timeout [OPTION] DURATION COMMAND [ARG]...}, and the launcher under the name
 * {@code timeout}: reads the command line as GNU timeout does, finds COMMAND as execvp would, starts
 * it contained (its own session unless {@code --foreground}; no report, no thread dump, no file),
 * and runs a {@link TimeoutSession}. Its only output is GNU's: the help and the version on stdout,
 * its messages on stderr.
 */
public final class Timeout {
    /** The launcher's record of the signals its caller ignored: SigIgn of /proc/PID/status, hexadecimal. */
    public static final String IGNORED_PROPERTY = "supervisor.ignored";
    /**
     * Set by the launcher when this JVM leads its process group (a job of an interactive shell):
     * the command then stays in it, as GNU's stays in the group GNU timeout leads.
     */
    static final String GROUP_LEADER_PROPERTY = "supervisor.group.leader";
    /** Set (to cgroup or tree) to choose how the command's tree is held; by default the best there is. */
    static final String MECHANISM_VARIABLE = "SUPERVISOR_TERMINATION";
    private static final int CANCELED = 125;

    /** How the command line ends: exit with {@code status}, or die of {@code signal} when it is not 0. */
    public record Outcome(int status, int signal) {
    }

    private Timeout() {
    }

    /**
     * Installs the signal handlers: first thing in {@code main}, before anything that takes time,
     * so that a signal that comes early is acted on rather than ending the JVM.
     */
    public static void prepare() {
        TimeoutSignals.install();
        // The native layer (JNA) is loaded only once the command has run a while: `timeout 10
        // true` ends before, and does not pay for it (docs/timeout.md, what it costs). Whatever
        // needs it sooner (a signal to send, the process tree's subreaper) loads it at once.
        Platform.deferLoading(NATIVE_LOAD_DELAY_NANOS);
    }

    /** How long the command runs before the native layer is loaded for it. */
    private static final long NATIVE_LOAD_DELAY_NANOS = 50_000_000;

    /**
     * @param args the arguments after "timeout"
     * @param help the help text, for "supervisor timeout" (the program's name replaces that)
     * @param version what --version prints
     * @param mainClass the supervisor JVM's main class: a nested supervisor is known by it
     */
    public static Outcome run(List<String> args, String help, String version, String mainClass) {
        List<byte[]> raw = RawArgs.of(args);
        byte[] name = raw.remove(raw.size() - 1);
        // Invoked as "supervisor timeout", it speaks as "timeout" (and points to "supervisor timeout
        // --help"); under a name of its own (a link named timeout: the launcher says how it was
        // invoked), as that name, as GNU's speaks as its argv[0].
        boolean named = name.length > 0;
        if (!named) {
            name = "timeout".getBytes(StandardCharsets.US_ASCII);
        }
        Messages messages = new Messages(name, named ? name : "supervisor timeout".getBytes(StandardCharsets.US_ASCII),
                Messages.utf8Locale());
        Log.useStderr(new String(name, StandardCharsets.UTF_8) + ": ");
        GnuArgs.Parsed parsed = GnuArgs.parse(raw, messages);
        if (parsed instanceof GnuArgs.Help) {
            return print(messages, named ? help.replace("supervisor timeout", new String(name, StandardCharsets.UTF_8)) : help);
        }
        if (parsed instanceof GnuArgs.Version) {
            return print(messages, version);
        }
        if (parsed instanceof GnuArgs.Usage u) {
            if (u.message() != null) {
                messages.say(u.message());
            }
            messages.tryHelp();
            return new Outcome(CANCELED, 0);
        }
        TimeoutOptions options = ((GnuArgs.Run) parsed).options();
        TimeoutSignals.also(options.signal());
        Log.trace("parsed");
        boolean inVariables = Boolean.getBoolean(RawArgs.PROPERTY) && !ascii(raw.subList(options.commandIndex(), raw.size()));
        // The program is looked for by its name as this JVM has it; where the JVM's decoding lost
        // some of its bytes (beyond ASCII, in the C locale), the spawn's shell looks for it instead.
        if (Arrays.equals(options.command().get(0).getBytes(RawArgs.jnu()), options.commandName())) {
            ExecSearch.Found found = ExecSearch.find(options.command().get(0), System.getenv("PATH"));
            if (!found.ok()) {
                messages.say("failed to run command ", messages.quote(options.commandName()), ": ", found.error());
                return new Outcome(found.status(), 0);
            }
        }
        ProcessSpec spec = ProcessSpec.command(options.command())
                .withLabel("command")
                .withProgramAsGiven()
                .withOwnSession(!options.foreground() && !Boolean.getBoolean(GROUP_LEADER_PROPERTY))
                .withServiceVariables(true)
                .withClaimOrphans(true)
                .withSignalsStoppingAtNestedSupervisors(mainClass)
                .withIgnoredSignals(ignored(options.signal()))
                .withMechanism(mechanism());
        if (inVariables) {
            spec = spec.withCommandFromVariables(options.commandIndex() + 1, raw.size());
        }
        SupervisedProcess.prepareToStart(spec);
        SupervisedProcess command;
        try {
            // A signal before the start: GNU's cleanup() before the fork, _exit(128 + sig), nothing said.
            BeforeStart.check("before the command started");
            command = SupervisedProcess.startTask(spec);
        } catch (BeforeStart.Signalled e) {
            return new Outcome(128 + e.signal(), 0);
        } catch (LaunchException e) {
            Log.error(e.getMessage());
            return new Outcome(CANCELED, 0);
        }
        long startedAt = System.nanoTime();
        Log.trace("spawned");
        try {
            TimeoutSession.Outcome o = new TimeoutSession(options, messages, command).run(startedAt);
            Log.trace("released");
            return new Outcome(o.status(), o.signal());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            command.release();
            return new Outcome(CANCELED, 0);
        }
    }

    /**
     * Ends this process as {@code outcome} says: by its signal (the command's death passed on),
     * else with its status.
     */
    public static void exit(Outcome outcome) {
        Log.trace("exit");
        if (outcome.signal() != 0) {
            try {
                Platform.posix().dieOf(outcome.signal());
            } catch (RuntimeException e) {
                Log.error("cannot end by " + Signal.name(outcome.signal()) + ": " + e.getMessage());
            }
        }
        System.exit(outcome.status());
    }

    /**
     * The signals the command starts with ignored: those the caller ignored, less those GNU
     * timeout handles (and so hands on at their default: HUP, INT, QUIT, TERM, ALRM, CHLD and
     * SIGNAL) or resets (TTIN, TTOU).
     */
    static List<Integer> ignored(int signal) {
        long mask;
        try {
            mask = Long.parseUnsignedLong(System.getProperty(IGNORED_PROPERTY, "0"), 16);
        } catch (NumberFormatException e) {
            mask = 0;
        }
        List<Integer> ignored = new ArrayList<>();
        for (int n = 1; n <= 64; n++) {
            if ((mask & 1L << (n - 1)) != 0 && n != signal
                    && !List.of(1, 2, 3, 15, 14, 17, 21, 22, Signal.KILL, Signal.STOP).contains(n)) {
                ignored.add(n);
            }
        }
        return ignored;
    }

    private static Mechanism mechanism() {
        String value = System.getenv(MECHANISM_VARIABLE);
        try {
            return value == null || value.isEmpty() ? Mechanism.AUTO : Mechanism.parse(value);
        } catch (IllegalArgumentException e) {
            return Mechanism.AUTO;
        }
    }

    /** The help or the version on stdout; a write error is GNU's "write error" and 125. */
    private static Outcome print(Messages messages, String text) {
        try {
            FileOutputStream out = new FileOutputStream(FileDescriptor.out);
            out.write(text.getBytes(StandardCharsets.UTF_8));
            return new Outcome(0, 0);
        } catch (IOException e) {
            messages.say("write error: ", String.valueOf(e.getMessage()));
            return new Outcome(CANCELED, 0);
        }
    }

    private static boolean ascii(List<byte[]> words) {
        for (byte[] w : words) {
            for (byte b : w) {
                if (b < 0) {
                    return false;
                }
            }
        }
        return true;
    }
}
