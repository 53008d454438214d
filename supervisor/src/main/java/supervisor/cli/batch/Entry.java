package supervisor.cli.batch;

import supervisor.pool.CallFuture;

/**
 * One input line in flight, from the reader to the writer in input order: its call, or none when
 * the line was too long for a frame ({@code length} then says how long it was). {@link #END}
 * follows the last line.
 */
record Entry(long line, CallFuture future, long submittedAt, long length) {
    /** The line number that marks the end of the input. */
    static final long END = -1;

    static Entry end() {
        return new Entry(END, null, 0, 0);
    }

    boolean isEnd() {
        return line == END;
    }
}
