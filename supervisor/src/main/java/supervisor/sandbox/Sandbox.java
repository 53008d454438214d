package supervisor.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a task is kept from: each part on its own, as systemd's service options are, and
 * {@link #strict()} for all of them at once ({@code --sandbox}). Immutable and safe to share
 * between threads. A part the machine cannot give (not root, no user namespaces, util-linux or
 * perl missing) is found when a task starts, not here: the start fails with one message naming
 * it (status 125 from the command line, a {@code TaskStartException} or a worker that cannot
 * start from the library), unless {@code bestEffort}.
 *
 * @param user who the task runs as ({@link TaskUser})
 * @param privateNetwork a network namespace of its own with only loopback, up (systemd's
 *     {@code PrivateNetwork=}); false: the host's network
 * @param readOnly a mount namespace where every mount is read-only and nosuid but the task's
 *     working directory (given or temporary), its private tmp and {@code readWrite}; /home and
 *     /root are empty, /tmp and /dev/shm fresh (systemd's {@code ProtectSystem=strict},
 *     {@code ProtectHome=tmpfs}, {@code PrivateTmp=})
 * @param privatePids a pid namespace of its own with its own /proc: it sees and can signal only
 *     its own tree (systemd's {@code PrivatePIDs=}); the task is not its PID 1
 * @param readWrite more paths the task may write, with {@code readOnly}: a relative path is taken
 *     from the supervisor's working directory; one that does not exist, or {@code /}, fails the
 *     start; the list is copied
 * @param bestEffort run without a part the machine cannot give (one line on stderr says which)
 *     instead of refusing to start
 */
public record Sandbox(TaskUser user, boolean privateNetwork, boolean readOnly, boolean privatePids,
                      List<Path> readWrite, boolean bestEffort) {
    /** No sandbox: the task runs as the supervisor's user, with its view of everything. */
    public static final Sandbox NONE = new Sandbox(TaskUser.SUPERVISOR, false, false, false, List.of(), false);

    /** @throws NullPointerException if {@code user}, {@code readWrite} or one of its paths is null */
    public Sandbox {
        Objects.requireNonNull(user);
        readWrite = List.copyOf(readWrite);
    }

    /** Every part: a dynamic user, no network, a read-only view, its own process table. */
    public static Sandbox strict() {
        return new Sandbox(TaskUser.DYNAMIC, true, true, true, List.of(), false);
    }

    /** Whether any part is on: else the task is spawned as without a sandbox. */
    public boolean any() {
        return user != TaskUser.SUPERVISOR || privateNetwork || readOnly || privatePids;
    }

    public Sandbox withUser(TaskUser u) {
        return new Sandbox(u, privateNetwork, readOnly, privatePids, readWrite, bestEffort);
    }

    public Sandbox withPrivateNetwork(boolean on) {
        return new Sandbox(user, on, readOnly, privatePids, readWrite, bestEffort);
    }

    public Sandbox withReadOnly(boolean on) {
        return new Sandbox(user, privateNetwork, on, privatePids, readWrite, bestEffort);
    }

    public Sandbox withPrivatePids(boolean on) {
        return new Sandbox(user, privateNetwork, readOnly, on, readWrite, bestEffort);
    }

    public Sandbox withReadWrite(List<Path> paths) {
        return new Sandbox(user, privateNetwork, readOnly, privatePids, paths, bestEffort);
    }

    public Sandbox withBestEffort(boolean on) {
        return new Sandbox(user, privateNetwork, readOnly, privatePids, readWrite, on);
    }
}
