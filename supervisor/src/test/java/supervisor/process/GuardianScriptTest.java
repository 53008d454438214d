package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** The checksum the JVM checks the launcher's guardian.sh against is the jar's own script's. */
class GuardianScriptTest {
    @Test
    void scriptChecksumIsTheJarsScripts() throws Exception {
        CRC32 crc = new CRC32();
        try (InputStream in = Guardian.class.getResourceAsStream("guardian.sh")) {
            crc.update(in.readAllBytes());
        }
        assertEquals(Long.toHexString(crc.getValue()), Long.toHexString(Guardian.SCRIPT_CRC32),
                "guardian.sh changed: set Guardian.SCRIPT_CRC32 to 0x" + Long.toHexString(crc.getValue()) + "L");
    }
}
