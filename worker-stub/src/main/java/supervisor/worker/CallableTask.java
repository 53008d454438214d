package supervisor.worker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.nio.ByteBuffer;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.Values;

/**
 * The task of a pool started with {@code PoolSettings.forClassPath}: each call's input is a
 * {@link WorkerCallable}, serialized whole ({@link #SERIALIZED}) or, for a lambda, in short form
 * ({@link #LAMBDA}, {@link LambdaCall}), which it runs; its answer is one of
 * <ul>
 *   <li>{@link #VALUE}, then the result as one of {@link Values};
 *   <li>{@link #THROWN}, then the length and bytes of an {@link ErrorPayload} (class, message
 *       and stack as text, which the caller shows when it cannot take the exception itself), then
 *       the serialized exception, or nothing when it cannot be serialized;
 *   <li>{@link #NOT_SENT}, then an {@link ErrorPayload} saying why the result could not be
 *       serialized.
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

    /** For {@link TaskLoader}, which needs a public constructor. */
    public CallableTask() {}

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
                // OutOfMemoryError, InternalError...: this JVM may not be sound. The stub answers
                // it as an ERROR, and the pool replaces the worker (recycleAfterFatalError).
                throw fatal;
            }
            return thrown(e); // the code's own failure, for the caller to rethrow
        }
        try {
            return Values.encode(VALUE_HEAD, new Object[] {value});
        } catch (IOException e) {
            return notSent(value, e);
        }
    }

    private static byte[] thrown(Throwable e) {
        byte[] text = ErrorPayload.of(e, false).truncatedTo(64 * 1024).encode();
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024 + text.length);
        out.write(THROWN);
        out.writeBytes(ByteBuffer.allocate(4).putInt(text.length).array());
        out.writeBytes(text);
        ByteArrayOutputStream object = new ByteArrayOutputStream(1024);
        try (ObjectOutputStream o = new ObjectOutputStream(object)) {
            o.writeObject(e);
        } catch (IOException notSerializable) {
            return out.toByteArray(); // the text alone
        }
        out.writeBytes(object.toByteArray());
        return out.toByteArray();
    }

    private static byte[] notSent(Object value, IOException why) {
        String what = "the result of the call, a " + value.getClass().getName() + ", cannot be sent to the caller: "
                + (why instanceof java.io.NotSerializableException ? why.getMessage() + " is not Serializable" : why.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(NOT_SENT);
        out.writeBytes(new ErrorPayload(false, why.getClass().getName(), what, what).encode());
        return out.toByteArray();
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
