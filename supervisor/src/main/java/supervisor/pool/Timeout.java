package supervisor.pool;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.concurrent.TimeUnit;

/**
 * The timeout of a method called through {@link WorkerPool#proxy}, on the method or on the whole
 * interface (the method's wins); without one, the pool's {@link PoolSettings.Builder#callTimeout}.
 * Counted from the call's start in its worker; past it, the call fails with
 * {@link CallTimeoutException} and its worker is stopped and replaced if it does not stop.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Timeout {
    /** The timeout, in {@link #unit()}; 0 means none. */
    long value();

    TimeUnit unit() default TimeUnit.SECONDS;
}
