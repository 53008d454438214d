package supervisor.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * The checksum the JVM checks the launcher's guardian.sh against, which the build computes
 * (scripts/guardian-checksum), is the jar's own script's. (That a script which differs is
 * refused: LauncherIT.guardianScriptOfAnotherBuildIsNotUsedAndCleanupStillHappens.)
 */
class GuardianScriptTest {
    @Test
    void scriptChecksumIsTheJarsScripts() throws Exception {
        CRC32 crc = new CRC32();
        try (InputStream in = Guardian.class.getResourceAsStream("guardian.sh")) {
            crc.update(in.readAllBytes());
        }
        assertEquals(Long.toHexString(crc.getValue()), Long.toHexString(GuardianScript.CRC32),
                "the build's checksum of guardian.sh (target/generated-sources/guardian) is not the jar's script's");
    }
}
