package supervisor.worker;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One call of an interface method that a pool's proxy sends to a worker: the implementation
 * class, the method and the arguments. The worker makes one instance of each implementation
 * class, with its public no-argument constructor, the first time it is called, and keeps it for
 * every later call (as it keeps its {@link Task}).
 */
public final class MethodCall implements WorkerCallable<Object, Exception> {
    private static final long serialVersionUID = 1L;
    /** One instance per implementation class, per worker JVM. */
    private static final Map<Class<?>, Object> INSTANCES = new ConcurrentHashMap<>();

    private final Class<?> implementation;
    private final Class<?> declaring;
    private final String method;
    private final Class<?>[] parameterTypes;
    private final Object[] arguments;

    public MethodCall(Class<?> implementation, Method method, Object[] arguments) {
        this.implementation = implementation;
        this.declaring = method.getDeclaringClass();
        this.method = method.getName();
        this.parameterTypes = method.getParameterTypes();
        this.arguments = arguments == null ? new Object[0] : arguments.clone();
    }

    @Override
    public Object call() throws Exception {
        Object target = INSTANCES.computeIfAbsent(implementation, MethodCall::instantiate);
        Method m = declaring.getMethod(method, parameterTypes);
        m.setAccessible(true); // a public method of a class that is not: still the caller's to call
        try {
            return m.invoke(target, arguments);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof Exception x) {
                throw x;
            }
            throw (Error) t;
        }
    }

    private static Object instantiate(Class<?> type) {
        try {
            var constructor = type.getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("the constructor of " + type.getName() + " threw " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make an instance of " + type.getName()
                    + " (it needs a no-argument constructor): " + e, e);
        }
    }

    @Override
    public String toString() {
        return implementation.getName() + "." + method + Arrays.toString(parameterTypes);
    }
}
