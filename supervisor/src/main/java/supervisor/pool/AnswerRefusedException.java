package supervisor.pool;

/**
 * A call of the caller's own code ran, but its answer was not taken: it holds a class off the
 * pool's allow-list ({@link PoolSettings.Builder#allowPackages}), nests deeper or holds more
 * objects than the bounds allow, declares an array larger than itself, is not of the type the
 * caller declared, or the worker could not serialize it. Nothing of the answer was built. The
 * worker goes on serving calls.
 */
public final class AnswerRefusedException extends PoolException {
    private static final long serialVersionUID = 1L;

    AnswerRefusedException(String message) {
        super(message);
    }
}
