#!/usr/bin/env bash
# Where a synchronous 64-byte call's time goes in the supervisor JVM, from a flight recording of
# PoolCost (one worker; warm-up, then CALLS calls): per call, the parks (LockSupport: a thread
# handing over to another and waiting), monitor waits, pipe reads and writes (java.io file events:
# one per read or write system call on a pipe) by thread, and the allocation samples by class.
# Thresholds are 0 ms, so every event counts; the recording slows the calls, so read the counts,
# not the times. Context switches and allocated bytes (no recording) come from PoolCost itself.
# Usage: benchmarks/pool/jfr.sh TREE [CALLS]   (TREE: a built source tree, e.g. . or /work/wt-base)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$1" && pwd)
calls=${2:-20000}
out=$here/../target/pool-jfr/$(basename "$tree")
rm -rf "$out" && mkdir -p "$out"
lib=$tree/supervisor/target
javac -d "$out" -cp "$(ls "$lib"/lib/worker-stub-*.jar):$lib/supervisor.jar" "$here"/PoolCost.java "$here"/EchoTask.java
printf 'Task-Class: EchoTask\n' > "$out/manifest"
jar cfm "$out/echo-worker.jar" "$out/manifest" -C "$out" EchoTask.class
jh=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
sed -e 's|control="locking-threshold">10 ms<|control="locking-threshold">0 ms<|' \
    -e 's|control="file-threshold">10 ms<|control="file-threshold">0 ms<|' "$jh/lib/jfr/profile.jfc" > "$out/zero.jfc"
java -XX:StartFlightRecording:filename="$out/cost.jfr",settings="$out/zero.jfc" -cp "$lib/supervisor.jar:$out" \
    PoolCost "$out/echo-worker.jar" "$calls" > "$out/cost.txt" 2>/dev/null
warm=$(( calls / 5 > 2000 ? calls / 5 : 2000 ))
total=$(( calls + warm ))
jfr print --events jdk.ThreadPark,jdk.JavaMonitorWait,jdk.FileRead,jdk.FileWrite "$out/cost.jfr" \
  | awk -v n="$total" '/^jdk\./ { ev = $1 } /eventThread = / { t = $3; gsub(/"/, "", t); sub(/[0-9.]+$/, "N", t); c[ev " " t]++ }
      END { for (k in c) if (c[k] / n >= 0.05) printf "%-60s %6.2f per call\n", k, c[k] / n }' | sort
echo "-- allocation samples (weight share by class)"
jfr print --events jdk.ObjectAllocationSample "$out/cost.jfr" \
  | awk '/objectClass = / { cls = $3 } /weight = / { w = $3; u = $4; m = (u ~ /MB/) ? 1048576 : (u ~ /kB/) ? 1024 : 1; W[cls] += w * m; T += w * m }
      END { for (c in W) if (W[c] / T >= 0.03) printf "%-50s %5.1f%%\n", c, 100 * W[c] / T }' | sort -k2 -nr
echo "-- without a recording (PoolCost)"
java -cp "$lib/supervisor.jar:$out" PoolCost "$out/echo-worker.jar" "$calls"
