#!/usr/bin/env bash
# Pool budgets, measured in one run: round trip against a raw JDK pipe ping-pong and Python's
# multiprocessing.Pool.apply, with all processes on one CPU and with them free; throughput of
# 100,000 calls through two workers (64 B and 1 KiB), one call at a time a worker and pipelined
# (32; the median of three bursts after a warm one); the supervisor's RSS with 8 workers; what
# watching a pool costs (a JFR recording of supervisor.PoolCall, an MBean poller), in paired rounds.
# Usage: benchmarks/pool.sh [--quick]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=$here/target/pool
mkdir -p "$out"
rounds=20000 calls=100000 obs_rounds=10 obs_calls=20000
[ "${1:-}" = --quick ] && rounds=2000 calls=20000 obs_rounds=3 obs_calls=5000

lib=$root/supervisor/target
stub=$(ls "$lib"/lib/worker-stub-*.jar)
cp="$lib/supervisor.jar"
javac -d "$out/classes" -cp "$stub:$cp" "$here"/pool/*.java
printf 'Task-Class: EchoTask\n' > "$out/manifest"
jar cfm "$out/echo-worker.jar" "$out/manifest" -C "$out/classes" EchoTask.class

bench() { java -cp "$cp:$out/classes" PoolBench "$out/echo-worker.jar" "$out/classes" "$rounds" "$calls"; }
python() {
    if command -v python3 >/dev/null; then python3 "$here/pool/mp_pool.py" "$rounds"; else echo "python_pool_apply_us missing"; fi
}
echo "== all processes on CPU 0" >&2
one=$( (taskset -c 0 bash -c "$(declare -f bench); out=$out cp=$cp rounds=$rounds calls=$calls; bench"; \
        taskset -c 0 bash -c "$(declare -f python); here=$here rounds=$rounds; python") )
echo "== processes free" >&2
free=$( (bench; python) )
echo "== observed and not" >&2
obs=$(java -cp "$cp:$out/classes" ObservabilityBench "$out/echo-worker.jar" "$obs_rounds" "$obs_calls")

# The supervisor JVM's own RSS while `supervisor pool` runs 8 workers (workers not counted).
fifo=$out/in.fifo
rm -f "$fifo" && mkfifo "$fifo"
"$root/scripts/supervisor" pool --workers 8 "$out/echo-worker.jar" < "$fifo" > /dev/null 2>&1 &
sup=$!
exec 9>"$fifo"
for i in $(seq 2000); do echo "warm $i" >&9; done
sleep 3
rss=$(awk '/VmRSS/ {print $2}' /proc/$sup/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$sup/status)
exec 9>&-
wait $sup || true

val() { echo "$1" | awk -v k="$2" '$1 == k {print $2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == "missing") print "n/a"; else printf "%.2f", a / b }'; }
printf '%-44s %10s %10s %8s  %s\n' "row" "measured" "baseline" "ratio" "budget"
for place in one free; do
    v=${!place}
    p=$(val "$v" pool_roundtrip_us); r=$(val "$v" raw_pingpong_us); py=$(val "$v" python_pool_apply_us)
    printf '%-44s %8sus %8sus %8s  %s\n' "3. pool round trip 64 B ($place CPU) vs raw pipe" "$p" "$r" "$(ratio "$p" "$r")" "<= 2.00"
    if [ "$place" = one ]; then
        printf '%-44s %8sus %8sus %8s  %s\n' "3. Python Pool.apply / pool round trip (one CPU)" "$py" "$p" "$(ratio "$py" "$p")" ">= 5.00"
    fi
done
printf '%-44s %10s %10s %8s  %s\n' "4. throughput 64 B, 2 workers (calls/s)" "$(val "$free" throughput_64_calls_per_s)" "" "" ">= 20000"
printf '%-44s %10s %10s %8s  %s\n' "4. throughput 1 KiB, 2 workers (calls/s)" "$(val "$free" throughput_1024_calls_per_s)" "" "" ">= 10000"
printf '%-44s %10s %10s %8s  %s\n' "4. throughput 64 B, 2 workers, pipeline 32" "$(val "$free" throughput_64_pipelined_calls_per_s)" "" "" ">= 100000"
printf '%-44s %10s %10s %8s  %s\n' "4. throughput 1 KiB, 2 workers, pipeline 32" "$(val "$free" throughput_1024_pipelined_calls_per_s)" "" "" ">= 100000"
printf '%-44s %8sMiB %10s %8s  %s\n' "6. supervisor RSS, pool of 8 workers" "$((rss / 1024))" "" "" "<= 64 MiB (peak $((hwm / 1024)) MiB)"
for way in jfr jfr_mbean; do
    label="JFR recording"; [ "$way" = jfr_mbean ] && label="JFR + MBean poll"
    printf '%-44s %10s %10s %8s  %s\n' "watched: throughput, $label" "$(val "$obs" ${way}_calls_per_s)" \
        "$(val "$obs" unobserved_calls_per_s)" "$(val "$obs" ${way}_throughput_ratio)" "paired, median of $(val "$obs" rounds)"
    printf '%-44s %8sus %8sus %8s  %s\n' "watched: round trip 64 B, $label" "$(val "$obs" ${way}_roundtrip_us)" \
        "$(val "$obs" unobserved_roundtrip_us)" "" "extra $(val "$obs" ${way}_extra_roundtrip_ns) ns (paired median)"
done
printf '%-44s %8sns %8sns %8s  %s\n' "watched: one call event, recorded / not" "$(val "$obs" event_ns_recording)" \
    "$(val "$obs" event_ns_no_recording)" "" "begin, fill, commit"
