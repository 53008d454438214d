package supervisor.batch;

import java.nio.file.Path;
import supervisor.pool.PoolSettings;

/**
 * What {@code supervisor pool} was asked to do.
 *
 * @param input null for stdin
 * @param output null for stdout
 * @param shardIndex process only lines whose 0-based index mod shardCount equals this
 */
public record BatchOptions(PoolSettings pool, Path input, Path output, int shardIndex, int shardCount) {
}
