package supervisor.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import supervisor.worker.protocol.Frame;
import supervisor.worker.tasks.EchoTask;
import supervisor.worker.tasks.IsolationProbeTask;

/** What a task writes to stdout or reads from stdin never touches the protocol channel. */
@Timeout(60)
class OutputIsolationIT {

    @Test
    void launchedViaFd3EveryStdoutWriteGoesToStderr() throws Exception {
        // -Xlog writes to fd 1 before main() runs: only the fd 3 launch can keep that off the channel.
        try (WorkerProcess worker = WorkerProcess.of(IsolationProbeTask.class).viaFd3()
                .jvmOption("-Xlog:gc:stdout").start()) {
            worker.handshake();
            assertEquals("child=0 stdin=-1", worker.call(1, ""));
            assertEquals("child=0 stdin=-1", worker.call(2, ""));
            worker.awaitStderr("probe via System.out\n");
            worker.awaitStderr("probe via FileDescriptor.out\n");
            worker.awaitStderr("probe via native fd 1\n");
            worker.awaitStderr("[gc]");
            worker.send(Frame.shutdown());
            assertEquals(Exit.SHUTDOWN, worker.awaitExit());
            worker.expectEndOfFrames();
        }
    }

    @Test
    void startedByHandSystemOutGoesToStderrAndFd1ToNowhere() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(IsolationProbeTask.class).start()) {
            worker.handshake();
            assertEquals("child=0 stdin=-1", worker.call(1, ""));
            assertEquals("child=0 stdin=-1", worker.call(2, ""));
            worker.awaitStderr("probe via System.out\n");
            // fd 1 is /dev/null and FileDescriptor.out is closed: lost, but harmless.
            worker.awaitStderr("FileDescriptor.out failed: Stream Closed\n");
            worker.send(Frame.shutdown());
            assertEquals(Exit.SHUTDOWN, worker.awaitExit());
            worker.expectEndOfFrames();
            assertFalse(worker.stderr().contains("probe via native fd 1"), worker.stderr());
        }
    }

    @Test
    void refusesAProtocolFdThatIsNotAPipe() throws Exception {
        // Started without the fd 3 redirection: fd 3 is closed or a file the JVM opened itself,
        // which must never be written to.
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class)
                .env(WorkerConfig.PROTOCOL_FD, "3").start()) {
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("worker-stub: protocol error: SUPERVISOR_PROTOCOL_FD=3 but /proc/self/fd/3 is");
        }
    }

    @Test
    void refusesABadSetting() throws Exception {
        try (WorkerProcess worker = WorkerProcess.of(EchoTask.class)
                .env(WorkerConfig.MAX_FRAME, "lots").start()) {
            assertEquals(Exit.PROTOCOL_ERROR, worker.awaitExit());
            worker.awaitStderr("worker-stub: protocol error: SUPERVISOR_MAX_FRAME=lots is not an"
                    + " integer in 1024..2147483583\n");
        }
    }
}
