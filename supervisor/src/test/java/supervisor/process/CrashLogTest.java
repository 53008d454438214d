package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrashLogTest {
    private static final String NATIVE = """
            #
            # A fatal error has been detected by the Java Runtime Environment:
            #
            #  SIGSEGV (0xb) at pc=0x00007f5e4c1e5b35, pid=1234, tid=1235
            #
            # JRE version: OpenJDK Runtime Environment (17.0.15+6) (build 17.0.15+6-Debian-1deb12u1)
            # Java VM: OpenJDK 64-Bit Server VM (17.0.15+6-Debian-1deb12u1, mixed mode, sharing, tiered, compressed oops, compressed class ptrs, g1 gc, linux-amd64)
            # Problematic frame:
            # C  [libfoo.so+0x1a0b5]  foo_decode+0x1c
            #
            """;

    @Test
    void theRealSignalAndTheProblematicFrame(@TempDir Path dir) throws Exception {
        CrashLog log = CrashLog.read(Files.writeString(dir.resolve("hs_err_pid1234.log"), NATIVE)).orElseThrow();
        assertEquals("SIGSEGV", log.signal());
        assertEquals("libfoo.so (foo_decode+0x1c)", log.frame());
        assertEquals("SIGSEGV in libfoo.so (foo_decode+0x1c)", log.describe());
    }

    @Test
    void framesWithoutAFunctionOrOddLogs(@TempDir Path dir) throws Exception {
        assertEquals("libjvm.so", CrashLog.frame("V  [libjvm.so+0x9c1a2d]"));
        assertEquals("j  Foo.bar()V+3", CrashLog.frame("j  Foo.bar()V+3"));
        CrashLog empty = CrashLog.read(Files.writeString(dir.resolve("x.log"), "nothing here\n")).orElseThrow();
        assertEquals("a crash", empty.describe());
        assertTrue(CrashLog.read(dir.resolve("missing.log")).isEmpty());
    }
}
