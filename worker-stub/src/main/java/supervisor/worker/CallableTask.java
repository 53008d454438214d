package supervisor.worker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.nio.ByteBuffer;
import supervisor.worker.protocol.ErrorPayload;

/**
 * The task of a pool started with {@code PoolSettings.forClassPath}: each call's input is a
 * serialized {@link WorkerCallable}, which it runs; its answer is one of
 * <ul>
 *   <li>{@link #VALUE}, then the serialized result;
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

    /** For {@link TaskLoader}, which needs a public constructor. */
    public CallableTask() {}

    @Override
    public byte[] call(byte[] input, Cancellation cancel) throws Exception {
        WorkerCallable<?, ?> code;
        try (ObjectInputStream in = new CallerClasses(new ByteArrayInputStream(input))) {
            code = (WorkerCallable<?, ?>) in.readObject();
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
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(VALUE);
        try (ObjectOutputStream o = new ObjectOutputStream(out)) {
            o.writeObject(value);
        } catch (IOException e) {
            return notSent(value, e);
        }
        return out.toByteArray();
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
    private static final class CallerClasses extends ObjectInputStream {
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
