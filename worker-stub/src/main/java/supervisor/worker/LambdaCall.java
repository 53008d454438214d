package supervisor.worker;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.StreamCorruptedException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import supervisor.worker.protocol.Values;

/**
 * Runs a call of the caller's code sent in short form: a lambda (the supervisor's
 * {@code LambdaForm}: the method that holds its body, called with the values it captured) or a
 * method of a proxied interface ({@link CallableTask#METHOD}: the implementation class, the
 * method, called on the worker's one instance of that class with the arguments). The head of the
 * form (the tag, the method) is the same for every call of one lambda or method: the method
 * handle found for it is kept under those bytes, so a call decodes no name and looks nothing up.
 */
final class LambdaCall {
    private static final Map<Head, MethodHandle> BODIES = new ConcurrentHashMap<>();
    /** One instance per implementation class of a proxy, per worker JVM, made at its first call. */
    private static final Map<Class<?>, Object> INSTANCES = new ConcurrentHashMap<>();

    private LambdaCall() {}

    /** The bytes of a head: equal heads, equal lambdas. Probes borrow the input; kept ones own a copy. */
    private static final class Head {
        private final byte[] bytes;
        private final int from;
        private final int to;
        private final int hash;

        Head(byte[] bytes, int from, int to) {
            this.bytes = bytes;
            this.from = from;
            this.to = to;
            int h = 1;
            for (int i = from; i < to; i++) {
                h = 31 * h + bytes[i];
            }
            this.hash = h;
        }

        Head copy() {
            return new Head(Arrays.copyOfRange(bytes, from, to), 0, to - from);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Head h && Arrays.equals(bytes, from, to, h.bytes, h.from, h.to);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Reads the short form: the lambda, ready to run. */
    static WorkerCallable<Object, Exception> read(byte[] input) throws IOException, ClassNotFoundException {
        ByteBuffer in = ByteBuffer.wrap(input);
        in.position(1);
        try {
            for (int i = 0; i < 4; i++) {
                int n = in.getShort() & 0xffff;
                in.position(in.position() + n);
            }
            if (input[0] == CallableTask.LAMBDA) {
                in.get(); // the kind
            }
        } catch (RuntimeException e) { // BufferUnderflowException, IllegalArgumentException
            throw new StreamCorruptedException("a lambda's head is cut short");
        }
        Head probe = new Head(input, 0, in.position());
        MethodHandle body = BODIES.get(probe);
        Object[] captured = Values.read(in, rest -> {
            try (ObjectInputStream o = new CallableTask.CallerClasses(rest)) {
                return (Object[]) o.readObject();
            }
        });
        if (in.hasRemaining()) {
            throw new StreamCorruptedException(in.remaining() + " bytes follow a lambda's captured values");
        }
        if (body == null) {
            body = find(probe, captured.length);
            BODIES.putIfAbsent(probe.copy(), body);
        }
        return new Bound(body, captured);
    }

    /**
     * Decodes a head (only once per lambda or method and worker) and finds the method handle of
     * its body, as (Object[])Object.
     */
    private static MethodHandle find(Head head, int captured) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(head.bytes, 1, head.to - 1));
        if (head.bytes[0] == CallableTask.METHOD) {
            return method(in.readUTF(), in.readUTF(), in.readUTF(), in.readUTF(), captured);
        }
        String implClass = in.readUTF();
        String name = in.readUTF();
        String descriptor = in.readUTF();
        String functional = in.readUTF();
        int kind = in.readUnsignedByte();
        if (!functional.equals("supervisor/worker/WorkerCallable")) {
            throw new StreamCorruptedException("not a WorkerCallable but a " + functional);
        }
        MethodHandle body = find(implClass, name, descriptor, kind);
        if (body.type().parameterCount() != captured) {
            throw new IllegalStateException("the body of a lambda takes " + body.type().parameterCount()
                    + " values, not the " + captured + " it captured: " + body);
        }
        // As (Object[])Object: each call is then one invokeExact, with no adapter made per call.
        return body.asType(body.type().generic()).asSpreader(Object[].class, captured);
    }

    /** {@code declaring.name} bound to the worker's instance of {@code implementation}. */
    private static MethodHandle method(String implementation, String declaring, String name, String descriptor,
            int arguments) {
        try {
            ClassLoader loader = ClassLoader.getSystemClassLoader();
            Class<?> type = Class.forName(implementation, true, loader);
            Class<?> api = Class.forName(declaring, false, loader);
            MethodType signature = MethodType.fromMethodDescriptorString(descriptor, loader);
            MethodHandle m = lookupIn(api).findVirtual(api, name, signature);
            if (m.type().parameterCount() != arguments + 1) {
                throw new IllegalStateException(declaring + "." + name + descriptor + " takes "
                        + (m.type().parameterCount() - 1) + " arguments, not " + arguments);
            }
            Object target = INSTANCES.computeIfAbsent(type, LambdaCall::instantiate);
            MethodHandle bound = m.bindTo(target);
            return bound.asType(bound.type().generic()).asSpreader(Object[].class, arguments);
        } catch (ReflectiveOperationException | IllegalArgumentException | TypeNotPresentException e) {
            throw new IllegalStateException("cannot find " + declaring + "." + name + descriptor + " of "
                    + implementation + " in the worker: " + e + openHint(declaring), e);
        }
    }

    /** Full access to the caller's classes; public access to those of a module not open to us (the JDK's). */
    private static MethodHandles.Lookup lookupIn(Class<?> owner) {
        LambdaCall.class.getModule().addReads(owner.getModule()); // a named module reads only what it says
        try {
            return MethodHandles.privateLookupIn(owner, MethodHandles.lookup());
        } catch (IllegalAccessException e) {
            return MethodHandles.publicLookup();
        }
    }

    /** From a named module, what the worker needs: the package open to it. */
    private static String openHint(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : " (from a named module, open the package: opens " + className.substring(0, dot)
                + " to supervisor.worker)";
    }

    private static Object instantiate(Class<?> type) {
        try {
            var constructor = type.getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw new IllegalStateException("the constructor of " + type.getName() + " threw " + e.getCause(),
                    e.getCause());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot make an instance of " + type.getName()
                    + " (it needs a constructor without arguments): " + e + openHint(type.getName()), e);
        }
    }

    private static MethodHandle find(String implClass, String name, String descriptor, int kind) {
        try {
            ClassLoader loader = ClassLoader.getSystemClassLoader();
            Class<?> owner = Class.forName(implClass.replace('/', '.'), true, loader);
            MethodType type = MethodType.fromMethodDescriptorString(descriptor, loader);
            MethodHandles.Lookup lookup = lookupIn(owner);
            return switch (kind) {
                case MethodHandleInfo.REF_invokeStatic -> lookup.findStatic(owner, name, type);
                case MethodHandleInfo.REF_invokeVirtual, MethodHandleInfo.REF_invokeInterface,
                        MethodHandleInfo.REF_invokeSpecial -> lookup.findVirtual(owner, name, type);
                case MethodHandleInfo.REF_newInvokeSpecial -> lookup.findConstructor(owner, type);
                default -> throw new IllegalArgumentException("a lambda of method handle kind " + kind);
            };
        } catch (ReflectiveOperationException | IllegalArgumentException | TypeNotPresentException e) {
            throw new IllegalStateException("cannot find the body of a lambda, " + implClass + "." + name + descriptor
                    + ", in the worker: " + e, e);
        }
    }

    /** A lambda's body and its captured values: calling it runs the lambda. */
    private record Bound(MethodHandle body, Object[] captured) implements WorkerCallable<Object, Exception> {
        @Override
        public Object call() throws Exception {
            try {
                return (Object) body.invokeExact(captured);
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) { // a Throwable that is neither: only ever thrown by odd code
                throw new java.lang.reflect.UndeclaredThrowableException(t);
            }
        }
    }
}
