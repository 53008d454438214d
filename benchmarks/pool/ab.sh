#!/usr/bin/env bash
# The pool's rows for two builds, side by side in one run: this tree ("new") and another
# ("old", e.g. a pristine build of the previous commit), alternating run by run, so that the load
# of a shared machine falls on both alike. Prints each run's rows, then the median of each.
# Usage: benchmarks/pool/ab.sh OLD_TREE [REPEATS] [ROUNDS] [CALLS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
new=$(cd "$here/../.." && pwd)
old=$(cd "$1" && pwd)
repeats=${2:-5} rounds=${3:-10000} calls=${4:-100000}
out=$here/../target/pool-ab
rm -rf "$out" && mkdir -p "$out"
# A snapshot of each build's jars: a build running meanwhile in the tree rewrites them in place.
for side in old new; do
    root=${!side}
    mkdir -p "$out/$side/lib"
    cp "$root/supervisor/target/supervisor.jar" "$out/$side/"
    cp "$root"/supervisor/target/lib/*.jar "$out/$side/lib/"
    lib=$out/$side
    cp="$lib/supervisor.jar"
    stub=$(ls "$lib"/lib/worker-stub-*.jar)
    javac -d "$out/$side" -cp "$stub:$cp" "$here"/*.java
    printf 'Task-Class: EchoTask\n' > "$out/$side/manifest"
    jar cfm "$out/$side/echo-worker.jar" "$out/$side/manifest" -C "$out/$side" EchoTask.class
done
run() { # side, then the command's prefix (taskset or nothing)
    local side=$1; shift
    local cp="$out/$side/supervisor.jar:$out/$side"
    "$@" java -cp "$cp" PoolBench "$out/$side/echo-worker.jar" "$out/$side" "$rounds" "$calls" | sed "s/^/$side /"
}
cost() {
    local side=$1
    java -cp "$out/$side/supervisor.jar:$out/$side" PoolCost "$out/$side/echo-worker.jar" 20000 \
        | sed "s/^/$side /"
}
for i in $(seq "$repeats"); do
    for side in old new; do
        run "$side" taskset -c 0 | sed 's/ \([a-z_0-9]*\) / one_\1 /'
        run "$side" | sed 's/ \([a-z_0-9]*\) / free_\1 /'
        cost "$side" | sed 's/ \([a-z_0-9]*\) / cost_\1 /'
    done
done | tee "$out/runs.txt" >&2
echo "== medians of $repeats runs (old, new)"
med() { # side key
    awk -v s="$1" -v k="$2" '$1 == s && $2 == k {print $3}' "$out/runs.txt" | sort -n \
        | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
for key in $(awk '{print $2}' "$out/runs.txt" | sort -u); do
    printf '%-48s %12s %12s\n' "$key" "$(med old "$key")" "$(med new "$key")"
done
