/**
 * Internal: the bytes of a call that runs the caller's own code in a worker. The call goes out as
 * a serialized {@link supervisor.worker.WorkerCallable} ({@link supervisor.serial.CallEncoder});
 * the answer comes back under an allow-list with bounds ({@link supervisor.serial.AnswerDecoder},
 * {@link supervisor.serial.AllowList}), since nothing a worker sends may run code in the caller.
 * See docs/security.md.
 */
package supervisor.serial;
