package supervisor.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The removal of a directory the supervisor made: links not followed, no depth too deep, short messages. */
class WorkdirsTest {
    @Test
    void removesEverythingButNeverFollowsALink(@TempDir Path dir) throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside/sub"));
        Files.writeString(outside.resolve("keep.txt"), "keep");
        Path made = Files.createDirectories(dir.resolve("made/a/b"));
        Files.writeString(made.resolve("f"), "x");
        Files.createSymbolicLink(dir.resolve("made/a/to-dir"), dir.resolve("outside"));
        Files.createSymbolicLink(dir.resolve("made/to-file"), outside.resolve("keep.txt"));
        Files.createSymbolicLink(dir.resolve("made/dangling"), dir.resolve("nothing"));
        assertNull(Workdirs.remove(dir.resolve("made")));
        assertFalse(Files.exists(dir.resolve("made"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("keep", Files.readString(outside.resolve("keep.txt")));
    }

    /** 2,100 levels, deeper than PATH_MAX: the JDK's Files.walk failed with "File name too long". */
    @Test
    void removesATreeDeeperThanPathMax(@TempDir Path dir) throws Exception {
        Path top = Files.createDirectory(dir.resolve("made"));
        Files.createFile(top.resolve("f"));
        Path wrap = dir.resolve("wrap");
        for (int i = 0; i < 2100; i++) { // each round nests the chain one level deeper, with short paths only
            Files.createDirectory(wrap);
            Files.move(top, wrap.resolve("dd"));
            Files.move(wrap, top);
        }
        assertNull(Workdirs.remove(top));
        assertFalse(Files.exists(top, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aLongPathIsNamedByItsTwoEnds() {
        String longPath = "/tmp/supervisor-tmp-x" + "/dd".repeat(2000) + "/f";
        String named = Workdirs.named(longPath);
        assertTrue(named.length() < 260, named);
        assertTrue(named.startsWith("/tmp/supervisor-tmp-x/dd") && named.endsWith("/dd/f"), named);
        assertTrue(named.contains("more characters"), named);
        assertEquals("/tmp/a b", Workdirs.named("/tmp/a b"));
        assertEquals("/tmp/a\\nb", Workdirs.named("/tmp/a\nb"), "one line");
    }

    @Test
    void aDirectoryAlreadyGoneIsNoFailure(@TempDir Path dir) {
        assertNull(Workdirs.remove(dir.resolve("never-made")));
    }
}
