package supervisor.worker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.IdentityHashMap;
import java.util.Map;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Frame;
import supervisor.worker.protocol.Values;

/**
 * The task of a pool started with {@code PoolSettings.forClassPath}: each call's input is a
 * {@link WorkerCallable}, serialized whole ({@link #SERIALIZED}) or in short form ({@link #LAMBDA},
 * {@link #METHOD}: {@link LambdaCall}), which it runs; its answer is one of
 * <ul>
 *   <li>{@link #VALUE}, then the result as one of {@link Values};
 *   <li>{@link #THROWN}, then the length and bytes of an {@link ErrorPayload} (class, message
 *       and stack as text, which the caller shows when it cannot take the exception itself), then
 *       the length and bytes of the serialized exception, then the same with every exception
 *       nested in it that is not the JDK's replaced by a {@link RemoteThrowable} (for a caller
 *       that takes the outer exception but not one of its causes); each part may be empty (not
 *       serializable, or too large for the frame);
 *   <li>{@link #NOT_SENT}, then an {@link ErrorPayload} saying why the result could not be sent
 *       (not serializable, its serialization threw, larger than a frame).
 * </ul>
 * The caller is trusted here (it chose this code), so its input is read without a filter; the
 * caller reads the answer under its allow-list, since the worker is not.
 */
final class CallableTask implements Task {
    static final byte VALUE = 0;
    static final byte THROWN = 1;
    static final byte NOT_SENT = 2;
    private static final byte[] VALUE_HEAD = {VALUE};
    /** The tags of a call's input: the code serialized whole, or a lambda in short form ({@link LambdaCall}). */
    static final byte SERIALIZED = 0;
    static final byte LAMBDA = 1;
    /**
     * A proxied method: the tag, four modified-UTF-8 strings (the implementation class, the
     * interface that declares the method, its name, its descriptor), then the arguments as
     * {@link Values}.
     */
    static final byte METHOD = 2;

    /** The largest answer a frame carries (SUPERVISOR_MAX_FRAME less the header). */
    private final int maxAnswer;

    /** For {@link TaskLoader}, which needs a public constructor. */
    public CallableTask() {
        long max = Frame.DEFAULT_MAX_LENGTH;
        try {
            String set = System.getenv(WorkerConfig.MAX_FRAME);
            if (set != null) {
                max = Long.parseLong(set.trim());
            }
        } catch (NumberFormatException e) {
            // WorkerMain refused it already; the default then
        }
        this.maxAnswer = (int) Math.max(1024, Math.min(Integer.MAX_VALUE - 8, max - Frame.HEADER_LENGTH));
    }

    @Override
    public byte[] call(byte[] input, Cancellation cancel) throws Exception {
        if (input.length == 0 || input[0] < SERIALIZED || input[0] > METHOD) {
            throw new java.io.StreamCorruptedException("a call's input starts with tag "
                    + (input.length == 0 ? "(none)" : input[0]) + ": not a call of the caller's code");
        }
        WorkerCallable<?, ?> code;
        if (input[0] == SERIALIZED) {
            try (ObjectInputStream in = new CallerClasses(new ByteArrayInputStream(input, 1, input.length - 1))) {
                code = (WorkerCallable<?, ?>) in.readObject();
            }
        } else {
            code = LambdaCall.read(input);
        }
        Object value;
        try {
            value = code.call();
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError fatal) {
                // OutOfMemoryError, StackOverflowError...: this JVM may not be sound. The stub
                // answers it as an ERROR, and the pool replaces the worker (recycleAfterFatalError).
                throw fatal;
            }
            return thrown(e); // the code's own failure, for the caller to rethrow
        }
        byte[] answer;
        try {
            answer = Values.encode(VALUE_HEAD, new Object[] {value});
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError fatal && !(e instanceof StackOverflowError)) {
                throw fatal; // out of memory: as above
            }
            // Not serializable, a writeObject that threw, a graph too deep to write: the code ran,
            // its result cannot be sent. The worker is sound (a stack overflow here unwound).
            return notSent("the result of the call, a " + value.getClass().getName() + ", cannot be sent to the caller: "
                    + (e instanceof NotSerializableException ? e.getMessage() + " is not Serializable" : e.toString()));
        }
        if (answer.length > maxAnswer) {
            return notSent("the result of the call, a " + value.getClass().getName() + " of " + answer.length
                    + " bytes, exceeds the maximum frame of " + (maxAnswer + Frame.HEADER_LENGTH) + " bytes");
        }
        return answer;
    }

    private byte[] thrown(Throwable e) {
        // The text first, cut so that it always fits; the objects only where there is room.
        byte[] text = ErrorPayload.of(e, false).truncatedTo(Math.min(64 * 1024, maxAnswer / 2)).encode();
        byte[] whole = serialized(e, false);
        byte[] standIns = serialized(e, true);
        long room = (long) maxAnswer - 9 - text.length; // > 0: the text takes at most half
        if ((long) whole.length + standIns.length > room) {
            if (whole.length <= room) {
                standIns = new byte[0]; // the exception as it is, rather than with stand-ins
            } else if (standIns.length <= room) {
                whole = new byte[0];
            } else {
                whole = new byte[0]; // the text alone
                standIns = new byte[0];
            }
        }
        ByteBuffer out = ByteBuffer.allocate(9 + text.length + whole.length + standIns.length);
        out.put(THROWN).putInt(text.length).put(text).putInt(whole.length).put(whole).put(standIns);
        return out.array();
    }

    /** {@code e} serialized, or nothing when it cannot be; with stand-ins for nested exceptions not the JDK's. */
    private static byte[] serialized(Throwable e, boolean standIns) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        try (ObjectOutputStream o = standIns ? new StandIns(bytes, e) : new ObjectOutputStream(bytes)) {
            o.writeObject(e);
        } catch (Throwable notSerializable) {
            if (notSerializable instanceof VirtualMachineError fatal && !(notSerializable instanceof StackOverflowError)) {
                throw fatal;
            }
            return new byte[0]; // the text alone
        }
        return bytes.toByteArray();
    }

    private static byte[] notSent(String why) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(NOT_SENT);
        out.writeBytes(new ErrorPayload(false, "java.io.NotSerializableException", why, why).encode());
        return out.toByteArray();
    }

    /** Writes every exception below the first that is not the JDK's as a {@link RemoteThrowable}. */
    private static final class StandIns extends ObjectOutputStream {
        private final Throwable top;
        private final Map<Throwable, RemoteThrowable> made = new IdentityHashMap<>();

        StandIns(OutputStream out, Throwable top) throws IOException {
            super(out);
            this.top = top;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) {
            if (obj == top || !(obj instanceof Throwable t) || obj instanceof RemoteThrowable
                    || (t.getClass().getClassLoader() == null && t.getClass().getName().startsWith("java."))) {
                return obj;
            }
            RemoteThrowable r = made.get(t);
            if (r == null) {
                ErrorPayload p = ErrorPayload.of(t, false);
                // Its cause is written after it, and replaced in turn; a cycle meets the one made.
                r = new RemoteThrowable(p.className(), p.message(), t.getStackTrace());
                made.put(t, r);
                try {
                    Throwable cause = t.getCause();
                    if (cause != null && cause != t) {
                        r.initCause(cause);
                    }
                    for (Throwable s : t.getSuppressed()) {
                        r.addSuppressed(s);
                    }
                } catch (RuntimeException odd) {
                    // a getCause that throws, a self-suppression: the stand-in without them
                }
            }
            return r;
        }
    }

    /** Resolves classes with the system class loader: the caller's class path, which is ours. */
    static final class CallerClasses extends ObjectInputStream {
        CallerClasses(ByteArrayInputStream in) throws IOException {
            super(in);
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            try {
                return Class.forName(desc.getName(), false, ClassLoader.getSystemClassLoader());
            } catch (ClassNotFoundException e) {
                return super.resolveClass(desc);
            }
        }
    }
}
