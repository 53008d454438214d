#!/usr/bin/env bash
# Budget 7: one supervisor JVM with -Xmx128m supervises 200 concurrent one-shot tasks through the
# library API (supervisor.runner.TaskRunner): 200 `sleep 2`, then 200 task JVMs that hang and are
# stopped at an 8 s timeout. Prints the peak threads, heap and concurrency. Usage: scale.sh [--quick]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=$here/target/scale
mkdir -p "$out"
count=200
[ "${1:-}" = --quick ] && count=50
cp="$root/supervisor/target/supervisor.jar"
javac -d "$out/classes" -cp "$cp" "$here"/runner/ScaleBench.java
r=$(java -Xmx128m -cp "$cp:$out/classes" ScaleBench "$root/test-tasks/target/test-tasks.jar" "$count")
val() { echo "$r" | awk -v k="$1" '$1 == k {print $2}'; }
printf '%-52s %s\n' "7. $count concurrent sleeps: done in" "$(val sleep_seconds) s (at most $(val sleep_most_concurrent) at once)"
printf '%-52s %s\n' "7. $count concurrent hanging task JVMs, 8 s timeout:" "$(val jvm_seconds) s, $(val jvm_timed_out) stopped at their timeout (at most $(val jvm_most_concurrent) at once)"
printf '%-52s %s\n' "7. threads of the supervisor JVM" "$(val jvm_threads_before) before, at most $(val sleep_threads_most) / $(val jvm_threads_most) (bound: TaskRunner.THREADS=4 + JDK reapers for its sh and guardian)"
printf '%-52s %s\n' "7. heap used, at most" "$(val sleep_heap_used_most_mib) / $(val jvm_heap_used_most_mib) MiB of -Xmx$(val heap_max_mib)m (budget <= 128 MiB)"
