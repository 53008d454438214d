package supervisor.serial;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import supervisor.worker.protocol.ErrorPayload;
import supervisor.worker.protocol.ProtocolException;
import supervisor.worker.protocol.Values;

/**
 * Reads a worker's answer to a call of the caller's own code (the worker stub's
 * {@code CallableTask} writes it): a tag byte, then the value as {@link Values} (plain for a
 * string, a byte array or a boxed primitive), or an exception as text and as an object. Every object is read under an {@link AllowList}; classes are resolved with
 * the caller's class loader and never initialised by the stream.
 */
public final class AnswerDecoder {
    static final byte VALUE = 0;
    static final byte THROWN = 1;
    static final byte NOT_SENT = 2;

    private AnswerDecoder() {}

    /**
     * @param declared classes the caller declared for this call (a proxied method's return and
     *     exception types), allowed as well
     * @param loader resolves the classes the answer names
     */
    public static Answer decode(byte[] answer, AllowList list, Set<Class<?>> declared, ClassLoader loader) {
        if (answer.length == 0) {
            return new Answer.Refused("the worker answered nothing");
        }
        switch (answer[0]) {
            case VALUE -> {
                ByteBuffer bytes = ByteBuffer.wrap(answer, 1, answer.length - 1);
                AllowList.Filter[] filter = new AllowList.Filter[1];
                try {
                    Object[] values = Values.read(bytes, rest -> {
                        filter[0] = list.filter(rest.available(), declared);
                        return (Object[]) readObject(rest, filter[0], loader);
                    });
                    if (values.length != 1) {
                        return new Answer.Refused("the worker answered " + values.length + " values, not one");
                    }
                    if (bytes.hasRemaining()) {
                        return new Answer.Refused("the result was refused: " + bytes.remaining() + " bytes follow it");
                    }
                    return new Answer.Value(values[0]);
                } catch (Exception | StackOverflowError e) {
                    return new Answer.Refused(refusal("the result", filter[0], e));
                }
            }
            case THROWN -> {
                ByteBuffer in = ByteBuffer.wrap(answer, 1, answer.length - 1);
                ErrorPayload text;
                byte[] whole;
                byte[] standIns;
                try {
                    text = ErrorPayload.decode(part(in));
                    whole = part(in);
                    standIns = new byte[in.remaining()];
                    in.get(standIns);
                } catch (ProtocolException | RuntimeException e) {
                    return new Answer.Refused("the worker's answer is malformed: " + e.getMessage());
                }
                if (whole.length == 0 && standIns.length == 0) {
                    return new Answer.ThrownText(text, "it is not Serializable, or too large for a frame");
                }
                String why = null;
                // The exception as it is; else, with its nested exceptions that are not the JDK's
                // as RemoteThrowable stand-ins; else its text.
                for (byte[] form : new byte[][] {whole, standIns}) {
                    if (form.length == 0) {
                        continue;
                    }
                    AllowList.Filter filter = list.filter(form.length, declared);
                    try {
                        Object thrown = readObject(new ByteArrayInputStream(form), filter, loader);
                        if (thrown instanceof Throwable t) {
                            return new Answer.Thrown(t);
                        }
                        why = why != null ? why : "the worker sent a " + typeOf(thrown) + " in its place";
                    } catch (Exception | StackOverflowError e) {
                        why = why != null ? why : refusal("it", filter, e);
                    }
                }
                return new Answer.ThrownText(text, why);
            }
            case NOT_SENT -> {
                try {
                    return new Answer.Refused(ErrorPayload.decode(Arrays.copyOfRange(answer, 1, answer.length)).message());
                } catch (ProtocolException e) {
                    return new Answer.Refused("the worker's answer is malformed: " + e.getMessage());
                }
            }
            default -> {
                return new Answer.Refused("the worker's answer starts with an unknown tag " + answer[0]);
            }
        }
    }

    /** A u32 length, then that many bytes. */
    private static byte[] part(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("a part of " + Integer.toUnsignedString(n) + " bytes in "
                    + in.remaining());
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static String typeOf(Object o) {
        return o == null ? "null" : o.getClass().getName();
    }

    private static String refusal(String what, AllowList.Filter filter, Throwable e) {
        if (filter != null && filter.refusal() != null) {
            return what + " was refused: " + filter.refusal();
        }
        if (e instanceof ClassNotFoundException) {
            return what + " names class " + e.getMessage() + ", which the caller cannot load";
        }
        if (e instanceof StackOverflowError) {
            return what + " nests too deep to rebuild";
        }
        return what + " could not be rebuilt: " + e;
    }

    /** One object, the whole of {@code bytes}: more bytes after it are refused. */
    private static Object readObject(ByteArrayInputStream bytes, AllowList.Filter filter, ClassLoader loader)
            throws IOException, ClassNotFoundException {
        try (Reader in = new Reader(bytes, loader)) {
            in.setObjectInputFilter(filter);
            Object value = in.readObject();
            if (bytes.available() > 0) { // ObjectInputStream reads no further than the object
                filter.refuseHere(bytes.available() + " bytes follow the object");
                throw new InvalidClassException("trailing bytes");
            }
            return value;
        }
    }

    /** Resolves with the caller's loader, without initialising: the filter sees each class first. */
    private static final class Reader extends ObjectInputStream {
        private final ClassLoader loader;

        Reader(ByteArrayInputStream in, ClassLoader loader) throws IOException {
            super(in);
            this.loader = loader;
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            try {
                return Class.forName(desc.getName(), false, loader);
            } catch (ClassNotFoundException e) {
                return super.resolveClass(desc); // primitives' names and the platform's classes
            }
        }

        @Override
        protected Class<?> resolveProxyClass(String[] interfaces) throws InvalidClassException {
            throw new InvalidClassException("a dynamic proxy", "the answer holds a dynamic proxy, which is never allowed");
        }
    }
}
