package supervisor.diagnose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The perf data file of this very JVM, as HotSpot wrote it: read as the supervisor reads a task's.
 * The file belongs to the task (its user can write it), so no mutation of it may do more than
 * leave the answer unknown.
 */
class PerfDataTest {
    private static final int PID = (int) ProcessHandle.current().pid();

    private static Path ownFile() throws Exception {
        int uid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue();
        try (var dirs = Files.newDirectoryStream(Path.of("/tmp"), "hsperfdata_*")) {
            for (Path dir : dirs) {
                Path f = dir.resolve(Integer.toString(PID));
                if (Files.isRegularFile(f) && ((Number) Files.getAttribute(f, "unix:uid")).intValue() == uid) {
                    return f;
                }
            }
        }
        Assumptions.abort("this JVM has no perf data file (-XX:-UsePerfData?)");
        return null;
    }

    @Test
    void thisJvmAllowsAttachAndSaysSo() throws Exception {
        byte[] data = Files.readAllBytes(ownFile());
        Optional<String> capabilities = PerfData.stringCounter(data, "sun.rt.jvmCapabilities");
        assertTrue(capabilities.isPresent() && capabilities.get().matches("[01]{64}"), String.valueOf(capabilities));
        assertEquals(Optional.of("1"), capabilities.map(c -> c.substring(0, 1)), "attach is on unless disabled");
        int uid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue();
        assertEquals(Optional.of(true), PerfData.attachable(PID, PID, uid));
        assertEquals(Optional.empty(), PerfData.attachable(PID, PID, uid + 1), "a file of another user is not taken");
        assertEquals(Optional.of(System.getProperty("java.vm.version")),
                PerfData.stringCounter(data, "java.property.java.vm.version"), "any string counter reads right");
    }

    @Test
    void aMangledFileGivesNoAnswerOrAStringNeverAnException() throws Exception {
        byte[] real = Files.readAllBytes(ownFile());
        Random random = new Random(15);
        for (int round = 0; round < 5_000; round++) {
            byte[] data = Arrays.copyOf(real, random.nextInt(5) == 0 ? random.nextInt(real.length) : real.length);
            for (int k = random.nextInt(8); k > 0 && data.length > 0; k--) {
                int at = random.nextInt(Math.min(data.length, random.nextBoolean() ? 64 : data.length));
                data[at] = (byte) random.nextInt(256);
            }
            if (random.nextInt(10) == 0 && data.length > 32) {
                // the entry table pointed anywhere, with any count
                ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(24, random.nextInt()).putInt(28, random.nextInt());
            }
            PerfData.stringCounter(data, "sun.rt.jvmCapabilities"); // returns, whatever it holds
        }
        assertEquals(Optional.empty(), PerfData.stringCounter(new byte[0], "sun.rt.jvmCapabilities"));
        assertEquals(Optional.empty(), PerfData.stringCounter(new byte[100], "sun.rt.jvmCapabilities"), "no magic");
    }
}
