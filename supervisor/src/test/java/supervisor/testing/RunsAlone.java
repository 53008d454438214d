package supervisor.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * An integration test that checks what is left machine-wide (every {@code supervisor-*} cgroup or
 * temporary directory, every process of a kind), not only what it started itself: another test
 * class running beside it would make it fail for nothing. Failsafe runs these ("serial" tag) one
 * at a time after the classes that run in parallel forks (supervisor/pom.xml).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(RunsAlone.TAG)
public @interface RunsAlone {
    String TAG = "serial";
}
