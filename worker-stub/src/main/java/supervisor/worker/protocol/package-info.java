/**
 * The frames of the wire protocol between the pool and a worker, shared by both sides.
 *
 * <p>Not an API: the protocol is specified in {@code docs/protocol.md}, which is what another
 * implementation should follow; these classes are public only because the pool, in another module,
 * uses them, and may change without notice.
 */
package supervisor.worker.protocol;
