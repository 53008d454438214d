package examples;

/**
 * A task that never finishes on its own, like a legacy call that hangs, and that cleans up in a
 * shutdown hook when asked to stop: run it with {@code supervisor run --timeout 2s} to see the
 * timeout, the graceful SIGTERM, the hook's output and exit status 124.
 */
public final class HangingTask {
    private HangingTask() {
    }

    public static void main(String[] args) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
                System.out.println("hanging-task: shutdown hook: cleaning up before exit")));
        System.out.println("hanging-task: working (and about to hang forever)");
        Thread.sleep(Long.MAX_VALUE);
    }
}
