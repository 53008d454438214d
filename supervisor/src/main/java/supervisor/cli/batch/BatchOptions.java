package supervisor.cli.batch;

import java.nio.file.Path;
import supervisor.pool.PoolSettings;

/**
 * What {@code supervisor pool} was asked to do.
 *
 * @param maxFrameBytes the pool's frame limit (the same as given to {@code pool}); an input line
 *     longer than a CALL frame can carry (this minus 9 bytes) is answered {@code protocol}
 * @param input null for stdin
 * @param output null for stdout
 * @param shardIndex process only lines whose 0-based index mod shardCount equals this
 */
public record BatchOptions(PoolSettings pool, int maxFrameBytes, Path input, Path output, int shardIndex, int shardCount) {
}
