package supervisor.pool;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import supervisor.serial.CallEncoder;

/**
 * The handler of {@link WorkerPool#proxy}: each abstract method of the interface runs in a worker,
 * on one instance of the implementation per worker. {@code equals}, {@code hashCode} and
 * {@code toString} are the proxy's own (identity, as for any object that does not override
 * them), and a default method runs in the caller, as its body calls the interface, whose abstract
 * methods then run in workers. Stateless but for a cache: safe to share between threads.
 */
final class ProxyHandler implements InvocationHandler {
    private final WorkerPool pool;
    private final Class<?> api;
    private final Class<?> implementation;
    private final Map<Method, Plan> plans = new ConcurrentHashMap<>();

    /** How a method is called: the head of its calls' input, its timeout and what its answer may hold. */
    private record Plan(byte[] head, Duration timeout, CodeCalls.Expect expect) { }

    ProxyHandler(WorkerPool pool, Class<?> api, Class<?> implementation) {
        this.pool = pool;
        this.api = api;
        this.implementation = implementation;
    }

    static <I> I create(WorkerPool pool, Class<I> api, Class<? extends I> implementation) {
        if (!api.isInterface()) {
            throw new IllegalArgumentException(api.getName() + " is not an interface; a proxy implements an interface");
        }
        if (!api.isAssignableFrom(implementation) || implementation.isInterface()
                || Modifier.isAbstract(implementation.getModifiers())) {
            throw new IllegalArgumentException(implementation.getName() + " is not a concrete class implementing "
                    + api.getName());
        }
        try {
            implementation.getDeclaredConstructor();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(implementation.getName() + " has no constructor without arguments;"
                    + " a worker makes one instance of it with that constructor");
        }
        pool.code.checkRunsCode();
        Object proxy = Proxy.newProxyInstance(api.getClassLoader(), new Class<?>[] {api},
                new ProxyHandler(pool, api, implementation));
        return api.cast(proxy);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "proxy of " + api.getName() + " running " + implementation.getName() + " in pool "
                        + pool.name();
            };
        }
        if (method.isDefault()) {
            return InvocationHandler.invokeDefault(proxy, method, args);
        }
        Plan plan = plans.computeIfAbsent(method, this::plan);
        CallFuture future = pool.code.send(CallEncoder.encodeMethod(plan.head(), method, args), plan.timeout());
        Object value = pool.code.await(future, plan.expect());
        if (value == null && method.getReturnType().isPrimitive() && method.getReturnType() != void.class) {
            throw new AnswerRefusedException(method + " answered null in pool " + pool.name() + ", not a "
                    + method.getReturnType());
        }
        return value;
    }

    private Plan plan(Method method) {
        Timeout t = method.getAnnotation(Timeout.class);
        if (t == null) {
            t = api.getAnnotation(Timeout.class);
        }
        Duration timeout = t == null ? pool.settings.callTimeout : Duration.of(t.value(), t.unit().toChronoUnit());
        Set<Class<?>> declared = new HashSet<>();
        Class<?> returned = method.getReturnType();
        while (returned.isArray()) {
            returned = returned.getComponentType();
        }
        declared.add(returned);
        declared.addAll(Set.of(method.getExceptionTypes()));
        ClassLoader loader = implementation.getClassLoader() != null ? implementation.getClassLoader()
                : ClassLoader.getSystemClassLoader();
        byte[] head = CallEncoder.methodHead(implementation, method, pool.settings.ownClassPath);
        return new Plan(head, timeout, new CodeCalls.Expect(Set.copyOf(declared), boxed(method.getReturnType()), loader));
    }

    private static Class<?> boxed(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        return switch (type.getName()) {
            case "int" -> Integer.class;
            case "long" -> Long.class;
            case "boolean" -> Boolean.class;
            case "double" -> Double.class;
            case "float" -> Float.class;
            case "byte" -> Byte.class;
            case "short" -> Short.class;
            case "char" -> Character.class;
            default -> Object.class; // void: the worker answers null
        };
    }
}
