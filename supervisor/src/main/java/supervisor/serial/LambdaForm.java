package supervisor.serial;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import supervisor.worker.WorkerCallable;
import supervisor.worker.protocol.Values;

/**
 * A lambda as the call's input in its short form: its implementation method (class, name,
 * descriptor, kind) and its captured values, which the worker stub's {@code LambdaCall} calls
 * through a method handle it keeps. Java's own form of a serialized lambda is rebuilt through the
 * writing class's {@code $deserializeLambda$}, found by reflection on every call, and costs an
 * object stream each way; this one is a quarter of the bytes, and a lambda that captures strings,
 * byte arrays or boxed primitives needs no object stream at all.
 *
 * <p>Layout: the tag {@link CallEncoder#LAMBDA}, four modified-UTF-8 strings (implementation
 * class, with slashes; method name; method descriptor; the functional interface, as a check), the
 * method handle kind (one byte), then the captured values as {@link Values}. Everything before
 * the values is the same for every call of one lambda, and kept.
 */
final class LambdaForm {
    /** A lambda class's writeReplace, and the head of its calls once known. */
    private static final class Shape {
        final Method writeReplace;
        volatile byte[] head;

        Shape(Method writeReplace) {
            this.writeReplace = writeReplace;
        }
    }

    private static final Shape NONE = new Shape(null);

    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            if (!type.isSynthetic() && !type.isHidden()) {
                return NONE; // a class of the caller's that implements WorkerCallable: serialized whole
            }
            Module module = type.getModule();
            if (module.isNamed() && !module.isOpen(type.getPackageName(), WorkerCallable.class.getModule())) {
                // The worker could not reach the lambda's body: Java's own serialized form goes
                // through $deserializeLambda$, which java.base may call in any module.
                return NONE;
            }
            try {
                Method m = type.getDeclaredMethod("writeReplace");
                m.setAccessible(true);
                return new Shape(m);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return NONE; // not a serializable lambda, or its module is not open to us
            }
        }
    };

    private LambdaForm() {}

    /** The call's input for {@code code}, or null when it is not a lambda (it is then serialized whole). */
    static byte[] encode(Object code) throws IOException {
        Shape shape = SHAPES.get(code.getClass());
        if (shape.writeReplace == null) {
            return null;
        }
        SerializedLambda lambda;
        try {
            lambda = shape.writeReplace.invoke(code) instanceof SerializedLambda s ? s : null;
        } catch (ReflectiveOperationException e) {
            return null;
        }
        if (lambda == null) {
            return null;
        }
        byte[] head = shape.head;
        if (head == null) {
            shape.head = head = head(lambda);
        }
        Object[] captured = new Object[lambda.getCapturedArgCount()];
        for (int i = 0; i < captured.length; i++) {
            captured[i] = lambda.getCapturedArg(i);
        }
        return Values.encode(head, captured);
    }

    private static byte[] head(SerializedLambda lambda) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(160);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(CallEncoder.LAMBDA);
            out.writeUTF(lambda.getImplClass());
            out.writeUTF(lambda.getImplMethodName());
            out.writeUTF(lambda.getImplMethodSignature());
            out.writeUTF(lambda.getFunctionalInterfaceClass());
            out.writeByte(lambda.getImplMethodKind());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }
}
