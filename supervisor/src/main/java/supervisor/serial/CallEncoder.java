package supervisor.serial;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.net.URL;
import java.security.CodeSource;
import supervisor.worker.WorkerCallable;
import supervisor.worker.protocol.Values;

/**
 * Writes a {@link WorkerCallable} as the input of a call, and refuses, in the caller and at the
 * call, code that a worker could not run: a lambda that captures what cannot cross to another
 * JVM, or one whose class the worker cannot load.
 */
public final class CallEncoder {
    /** The input is a tag, then the code serialized whole (the worker stub's CallableTask). */
    static final byte SERIALIZED = 0;
    /** The input is a tag, then a lambda's implementation method and captured values: {@link LambdaForm}. */
    static final byte LAMBDA = 1;
    /**
     * The input is a tag, then a proxied method (implementation class, declaring interface, name,
     * descriptor) as four modified-UTF-8 strings, then the arguments as {@link Values}.
     */
    static final byte METHOD = 2;

    private CallEncoder() {}

    /**
     * @param origin the class whose code runs: the class that wrote a lambda, or a proxy's
     *     implementation class
     * @param callerClassPath whether the workers run with the caller's own class path; the class
     *     that wrote the lambda must then be one the application class loader loaded from a
     *     directory or a jar
     * @throws IllegalArgumentException naming the captured type that is not serializable, or the
     *     class the worker cannot load, and why
     */
    public static byte[] encode(WorkerCallable<?, ?> code, Class<?> origin, boolean callerClassPath) {
        Class<?> writer = origin;
        if (callerClassPath) {
            checkLoadable(writer);
        }
        try {
            byte[] lambda = LambdaForm.encode(code);
            if (lambda != null) {
                return lambda;
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
            bytes.write(SERIALIZED);
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(code);
            }
            return bytes.toByteArray();
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException("cannot send " + describe(code, writer) + " to a worker: it captures a "
                    + e.getMessage() + ", which is not Serializable; pass what it needs as values"
                    + " (strings, numbers, records, byte arrays...) and open such resources in the worker", e);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // A writeObject of a captured value that throws, a graph too deep to write: not sendable.
            throw new IllegalArgumentException("cannot send " + describe(code, writer) + " to a worker: " + e, e);
        }
    }

    /**
     * The head of every call of {@code method} on a worker's instance of {@code implementation}:
     * made once per method, then given to {@link #encodeMethod}.
     *
     * @param callerClassPath as for {@link #encode}: then {@code implementation} must be loadable
     */
    public static byte[] methodHead(Class<?> implementation, Method method, boolean callerClassPath) {
        if (callerClassPath) {
            checkLoadable(implementation);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(160);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(METHOD);
            out.writeUTF(implementation.getName());
            out.writeUTF(method.getDeclaringClass().getName());
            out.writeUTF(method.getName());
            out.writeUTF(MethodType.methodType(method.getReturnType(), method.getParameterTypes())
                    .toMethodDescriptorString());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * The input of one call of a proxied method.
     *
     * @throws IllegalArgumentException naming the argument that cannot be serialized
     */
    public static byte[] encodeMethod(byte[] head, Method method, Object[] arguments) {
        try {
            return Values.encode(head, arguments == null ? new Object[0] : arguments);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException("cannot call " + method + " in a worker: an argument is a "
                    + e.getMessage() + ", which is not Serializable", e);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            throw new IllegalArgumentException("cannot call " + method + " in a worker: " + e, e);
        }
    }

    private static String describe(WorkerCallable<?, ?> code, Class<?> writer) {
        return code.getClass().isHidden() ? "a lambda of " + writer.getName() : code.toString();
    }

    /** A worker started with the caller's class path loads only what the application class loader can. */
    private static void checkLoadable(Class<?> writer) {
        ClassLoader loader = writer.getClassLoader();
        if (loader == null || loader == ClassLoader.getPlatformClassLoader()) {
            return; // the JDK's own: every JVM has it
        }
        CodeSource source = writer.getProtectionDomain().getCodeSource();
        URL where = source == null ? null : source.getLocation();
        if (where == null || !"file".equals(where.getProtocol())) {
            throw new IllegalArgumentException("cannot run code of " + writer.getName() + " in a worker: it was loaded from "
                    + where + ", which a worker JVM cannot put on its class path (nested jars, such as Spring Boot's,"
                    + " are not supported); start the pool with PoolSettings.forClassPath(paths) naming plain jars"
                    + " or directories");
        }
        if (loader != ClassLoader.getSystemClassLoader()) {
            throw new IllegalArgumentException("cannot run code of " + writer.getName() + " in a worker started with the"
                    + " caller's class path: it was loaded by " + loader + ", not by the application class loader;"
                    + " start the pool with PoolSettings.forClassPath(paths) naming " + where);
        }
    }
}
