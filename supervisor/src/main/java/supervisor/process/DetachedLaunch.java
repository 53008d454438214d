package supervisor.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import supervisor.launch.LaunchException;
import supervisor.terminate.OwnedChildren;

/**
 * The detached start of a {@link SpawnCommand}: no {@link Process} for the task, no JDK thread.
 * A short-lived {@code sh} that is a {@code Process} ({@link #LAUNCH_SCRIPT}) starts
 * {@code setsid --fork sh -c PRELUDE ...}, whose first process exits at once, so the task is
 * reparented to this JVM (its child subreaper) and no shell can ever reap it. The task says its
 * pid and waits for "go", which it is sent once {@link Registration#started} has registered the
 * pid (with the watcher, the guardian and {@link OwnedChildren}): it cannot end unseen, nor be
 * reaped by another, nor outlive this JVM unrecorded.
 */
final class DetachedLaunch {
    /**
     * The launcher: passes on what the task says on its way (its pid, a failure) and keeps itself
     * alive until the task has let go of the pipe: the JDK closes a process's pipe when it exits.
     */
    static final String LAUNCH_SCRIPT = """
            "$@" | while IFS= read -r line; do printf '%s\\n' "$line"; done
            """;

    /**
     * The detached task before {@link SpawnCommand#SCRIPT}: it says its pid, then waits for "go":
     * it cannot exit before. EOF instead of "go" (the supervisor died) ends it. It opens its output
     * file on fd 4; the spawn script moves it to fds 1 and 2 right before the exec, so that a
     * failure of the spawn itself still reaches the supervisor. A FIFO is opened after it lets go
     * of the launcher's pipe: its open waits for a reader, which must not hold the start (it has
     * no deadline) but the task (whose timeout covers it); a failure of its spawn then goes to the
     * FIFO, and the task ends with 125. Arguments: the output file, the spawn script, then the
     * spawn script's arguments.
     */
    static final String PRELUDE = """
            echo $$
            read -r go && [ "$go" = go ] || exit 125
            out=$1 script=$2
            shift 2
            if [ -p "$out" ]; then
                exec >/dev/null 2>&1
            fi
            exec 4>>"$out" || exit 125
            eval "$script"
            """;

    /** Registers the task's pid while it waits for "go". */
    interface Registration {
        /** @throws LaunchException when the pid cannot be taken charge of (it vanished) */
        void started(int pid) throws LaunchException;
    }

    private DetachedLaunch() {
    }

    /**
     * Starts {@code spawn} detached, its output appended to {@code output} (null: discarded),
     * with {@code pb}'s environment and directory; returns once it has started its command.
     *
     * @param label how messages name the process ("task")
     * @param program the command's program, for messages
     * @throws LaunchException with status 125 and a message naming what failed
     */
    static void start(ProcessBuilder pb, SpawnCommand spawn, Path output, String label, String program,
                      long budgetNanos, Registration registration) throws LaunchException, IOException {
        if (Helpers.setsid().isEmpty()) {
            throw LaunchException.supervisorFailed("cannot start the " + label + " detached: setsid (util-linux) is not installed");
        }
        Path out = output == null ? Path.of("/dev/null") : output;
        checkOutput(out, label);
        List<String> command = new ArrayList<>(List.of(Helpers.SH, "-c", LAUNCH_SCRIPT, "supervisor-launch",
                Helpers.setsid().get(), "--fork", Helpers.SH, "-c", PRELUDE, "supervisor-spawn",
                out.toString(), SpawnCommand.SCRIPT));
        command.addAll(spawn.arguments());
        pb.command(command).redirectErrorStream(true);
        String cannot = "cannot start the " + label + " (" + program + "): ";
        Process launcher;
        try {
            launcher = OwnedChildren.start(pb);
        } catch (IOException e) {
            throw LaunchException.supervisorFailed(cannot + e.getMessage(), e);
        }
        try {
            InputStream said = launcher.getInputStream();
            // Bounded: the launcher prints the pid or ends at once, whatever the command.
            String first = readLine(said);
            int pid;
            try {
                pid = Integer.parseInt(first);
            } catch (NumberFormatException e) {
                throw LaunchException.supervisorFailed(cannot + failure(first + "\n"
                        + new String(said.readAllBytes(), StandardCharsets.UTF_8)));
            }
            registration.started(pid);
            try (OutputStream go = launcher.getOutputStream()) {
                go.write("go\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // It is gone already: what it said, and its status through the watcher, tell why.
            }
            if (!launcher.waitFor(budgetNanos, TimeUnit.NANOSECONDS)) {
                throw LaunchException.supervisorFailed(cannot + "its launcher did not finish within "
                        + TimeUnit.NANOSECONDS.toSeconds(budgetNanos) + " s");
            }
            String rest = new String(said.readAllBytes(), StandardCharsets.UTF_8);
            if (!rest.isBlank()) {
                // The spawn failed before its exec (a cgroup, an rlimit): the task exits 125.
                throw LaunchException.supervisorFailed(cannot + failure(rest));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw LaunchException.supervisorFailed("interrupted while starting the " + label, e);
        } finally {
            launcher.destroyForcibly(); // a no-op once it has ended, which it has unless this failed
        }
    }

    /**
     * Fails early, with a clear message, for an output file the task could not open. A file that
     * exists and is not a regular one (a FIFO, a device) is not opened here: opening a FIFO nobody
     * reads blocks, and this thread has no deadline; the task opens it (see {@link #PRELUDE})
     * after it is registered, inside its timeout.
     */
    private static void checkOutput(Path output, String label) throws LaunchException {
        try {
            BasicFileAttributes a = Files.readAttributes(output, BasicFileAttributes.class);
            if (!a.isRegularFile() && !a.isDirectory()) {
                if (!Files.isWritable(output)) {
                    throw LaunchException.supervisorFailed("cannot open the " + label + "'s output file " + output
                            + ": not writable");
                }
                return;
            }
        } catch (IOException e) {
            // none yet (created below), or unreadable: the open below says why
        }
        try {
            Files.newOutputStream(output, StandardOpenOption.CREATE, StandardOpenOption.APPEND).close();
        } catch (IOException e) {
            throw LaunchException.supervisorFailed("cannot open the " + label + "'s output file " + output + ": " + e, e);
        }
    }

    /** One line from the launcher, without reading past it (what follows is read after "go"). */
    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
            b.append((char) c);
        }
        return b.toString();
    }

    /** What the launcher said, less the spawn script's "supervisor: " prefix; "no reason given" when nothing. */
    private static String failure(String said) {
        String s = said.strip().replace("supervisor: ", "").replace('\n', ';');
        return s.isEmpty() ? "it ended before it started, no reason given" : s;
    }
}
