package tasks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A chain of nested directories deeper than PATH_MAX, built with short paths only: each round
 * wraps the chain so far in a new directory (mkdir, two renames), so no path ever holds more than
 * two names. A shell's mkdir-and-cd loop takes half a minute for 2,100 levels.
 */
public final class DeepTree {
    private DeepTree() {
    }

    /** Makes {@code dir/deep/dd/dd/.../dd/f}: {@code depth} directories under {@code dir}. */
    public static void make(Path dir, int depth) throws IOException {
        Path top = dir.resolve("deep");
        Path wrap = dir.resolve("deep-wrap");
        Files.createDirectory(top);
        Files.createFile(top.resolve("f"));
        for (int i = 1; i < depth; i++) {
            Files.createDirectory(wrap);
            Files.move(top, wrap.resolve("dd"));
            Files.move(wrap, top);
        }
    }
}
