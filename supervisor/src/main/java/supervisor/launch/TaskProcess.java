package supervisor.launch;

import java.util.concurrent.CompletableFuture;
import supervisor.platform.ProcFs;
import supervisor.platform.ProcessId;

/**
 * A running task: its identity and how it ends. Either spawned by this JVM (a {@link Process})
 * or adopted: started by the launcher script just before it exec'ed this JVM, which makes it a
 * child of this JVM that the JDK knows nothing about.
 */
public final class TaskProcess {
    private final ProcessId id;
    private final CompletableFuture<ExitStatus> exit;
    private final boolean adopted;

    private TaskProcess(ProcessId id, CompletableFuture<ExitStatus> exit, boolean adopted) {
        this.id = id;
        this.exit = exit;
        this.adopted = adopted;
    }

    public static TaskProcess of(Process process) {
        ProcessId id = ProcFs.id((int) process.pid())
                .orElse(new ProcessId((int) process.pid(), -1));
        return new TaskProcess(id, process.onExit().thenApply(p -> ExitStatus.fromJdk(p.exitValue())), false);
    }

    /**
     * Adopts a child of this JVM. Its exit is observed with waitid(WNOWAIT) by the JDK's
     * ProcessHandle, which leaves the zombie in place so that the exact wait status can be read
     * from /proc; the zombie is reaped when this JVM exits, or by whoever reaps it later.
     *
     * @throws IllegalStateException when the process is not there
     */
    public static TaskProcess adopt(int pid) {
        ProcessId id = ProcFs.id(pid).orElseThrow(
                () -> new IllegalStateException("the task (pid " + pid + ") the launcher started is gone"));
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        CompletableFuture<ExitStatus> exit;
        if (handle == null) {
            exit = CompletableFuture.completedFuture(readStatus(id));
        } else {
            exit = handle.onExit().thenApply(h -> readStatus(id));
        }
        return new TaskProcess(id, exit, true);
    }

    private static ExitStatus readStatus(ProcessId id) {
        return ProcFs.stat(id.pid())
                .filter(s -> s.startTime() == id.startTime() && s.isDead())
                .map(s -> ExitStatus.fromWaitStatus(s.exitCode()))
                .orElse(new ExitStatus(255, -1));
    }

    public ProcessId id() {
        return id;
    }

    public int pid() {
        return id.pid();
    }

    public boolean adopted() {
        return adopted;
    }

    /** Completes when the task's own process has ended (its children may live on). */
    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }
}
