/**
 * supervisor: run work that might hang, crash or refuse to die in a process of its own, and stop
 * it completely. The API is {@code supervisor} (the root exception), {@code supervisor.pool}
 * (worker pools, own-code calls), {@code supervisor.runner} (one-shot tasks) and
 * {@code supervisor.sandbox} (what a task is kept from), {@code supervisor.ztexec} (a zt-exec {@code ProcessStopper}); every other package is internal.
 */
module supervisor {
    requires transitive supervisor.worker;
    requires com.sun.jna;
    requires static zt.exec;
    requires java.management;
    requires jdk.jfr;
    requires jdk.unsupported;

    exports supervisor;
    exports supervisor.pool;
    exports supervisor.runner;
    exports supervisor.sandbox;
    exports supervisor.ztexec;

    // JNA maps the platform's C structures and callbacks by reflection.
    opens supervisor.platform to com.sun.jna;
}
