package supervisor.worker;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The buffered protocol input (stdin), which can say whether more has arrived without a system
 * call when its buffer still holds some: the supervisor writes many CALLs at once, and the call
 * thread asks after every call.
 */
final class ProtocolInput extends BufferedInputStream {
    ProtocolInput(InputStream in, int size) {
        super(in, size);
    }

    /** True if a read would not wait: bytes in the buffer, or in the pipe (FIONREAD). */
    boolean hasArrived() throws IOException { // the call thread is the only reader: no lock
        if (count > pos) {
            return true;
        }
        InputStream under = in;
        if (under == null) {
            throw new IOException("stream closed");
        }
        return under.available() > 0;
    }
}
