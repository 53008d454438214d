package supervisor.pool;

import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;

/**
 * The calls waiting for a worker, and the room they take: a call holds one unit of the queue's
 * capacity from submit until a worker starts it (or it leaves otherwise), so submit blocks while
 * the queue is full, and memory stays bounded. A call put back (its worker was found broken) or
 * retried is first in line.
 */
final class CallQueue {
    private final LinkedBlockingDeque<Call> deque = new LinkedBlockingDeque<>();
    private final Semaphore room;

    CallQueue(int capacity) {
        this.room = new Semaphore(capacity);
    }

    /** Waits for room, then queues the call last. */
    void enter(Call call) throws InterruptedException {
        room.acquire();
        call.holdsRoom = true;
        deque.addLast(call);
    }

    /** Takes room for a retry without waiting; false if there is none. */
    boolean tryRoom(Call call) {
        if (!room.tryAcquire()) {
            return false;
        }
        synchronized (call) {
            call.holdsRoom = true;
        }
        return true;
    }

    /** First in line again. */
    void putFirst(Call call) {
        deque.addFirst(call);
    }

    boolean remove(Call call) {
        return deque.remove(call);
    }

    /** The first call, whatever its state; null if none. */
    Call pollFirst() {
        return deque.pollFirst();
    }

    /** The next call not complete yet, without waiting; null if none. */
    Call pollNow() {
        while (true) {
            Call c = deque.pollFirst();
            if (c == null || !c.claimed()) {
                return c;
            }
            leave(c); // cancelled while it waited: counted when it was cancelled
        }
    }

    /** The call no longer counts against the queue's capacity. */
    void leave(Call call) {
        synchronized (call) {
            if (!call.holdsRoom) {
                return;
            }
            call.holdsRoom = false;
        }
        room.release();
    }

    int size() {
        return deque.size();
    }

    boolean isEmpty() {
        return deque.isEmpty();
    }
}
