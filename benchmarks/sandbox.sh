#!/usr/bin/env bash
# The sandbox's cost (issue 28), with and without --sandbox side by side in one run, as root:
#  1. one-shot start-up: `supervisor run [--sandbox] test-tasks.jar -- hello` and
#     `supervisor run [--sandbox] -- true`, paired rounds (the order alternating), medians and the
#     median of the per-round ratios;
#  2. pool: `supervisor pool --workers 1 [--sandbox] test-tasks-worker.jar` fed 1 line and then
#     1+N lines of "echo": the start (1 line) and the round trip ((t(1+N) - t(1)) / N), each with
#     and without the sandbox, in paired rounds.
# Prints ratios against the unsandboxed baseline measured in the same run; no assertion.
# Usage: benchmarks/sandbox.sh [--quick]
set -u
here=$(cd "${BASH_SOURCE[0]%/*}" && pwd)
repo=${here%/*}
SUP=$repo/scripts/supervisor
TASKS=$repo/test-tasks/target/test-tasks.jar
WORKER=$repo/test-tasks/target/test-tasks-worker.jar
rounds=15 calls=2000
if [ "${1:-}" = --quick ]; then rounds=5 calls=500; fi
[ "$(id -u)" = 0 ] || { echo "sandbox.sh: --sandbox needs root" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
one=$tmp/one.txt many=$tmp/many.txt
echo echo > "$one"
for ((i = 0; i <= calls; i++)); do echo echo; done > "$many"

now_us() { local t=$EPOCHREALTIME; echo "${t//[.,]/}"; }
# timed CMD...: runs it, stdout and stderr discarded; prints microseconds, or fails.
timed() {
    local a b
    a=$(now_us)
    "$@" >/dev/null 2>"$tmp/err" || { echo "sandbox.sh: failed: $*" >&2; cat "$tmp/err" >&2; exit 1; }
    b=$(now_us)
    echo $((b - a))
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

declare -A t=()
add() { t[$1]="${t[$1]:-} $2"; }
variant() { # NAME SANDBOX: one measurement of NAME
    local opt=()
    [ "$2" = 1 ] && opt=(--sandbox)
    case $1 in
        jar) add "jar$2" "$(timed "$SUP" run "${opt[@]}" "$TASKS" -- hello)" ;;
        true) add "true$2" "$(timed "$SUP" run "${opt[@]}" -- true)" ;;
        pool1) add "pool1$2" "$(timed "$SUP" pool --workers 1 "${opt[@]}" --input "$one" "$WORKER")" ;;
        poolN) add "poolN$2" "$(timed "$SUP" pool --workers 1 "${opt[@]}" --input "$many" "$WORKER")" ;;
    esac
}
echo "[sandbox.sh] $rounds paired rounds; pool: $calls calls" >&2
for v in jar true pool1; do variant $v 0; variant $v 1; done # warm-up
for ((r = 0; r < rounds; r++)); do
    for v in jar true pool1 poolN; do
        if ((r % 2)); then variant $v 1; variant $v 0; else variant $v 0; variant $v 1; fi
    done
done
printf '%-34s %12s %12s %8s\n' "measure (median)" "without ms" "--sandbox ms" "ratio"
for v in jar true pool1; do
    a=$(median ${t[${v}0]}) b=$(median ${t[${v}1]})
    case $v in
        jar) name="one-shot run of a jar (hello)" ;;
        true) name="one-shot run of /bin/true" ;;
        pool1) name="pool start + 1 call" ;;
    esac
    printf '%-34s %12s %12s %8s\n' "$name" "$(ms "$a")" "$(ms "$b")" "$(ratio "$b" "$a")"
done
a=$(( ($(median ${t[poolN0]}) - $(median ${t[pool10]})) * 1000 / calls ))
b=$(( ($(median ${t[poolN1]}) - $(median ${t[pool11]})) * 1000 / calls ))
printf '%-34s %12s %12s %8s\n' "pool round trip (us per call)" "$(ms "$a")" "$(ms "$b")" "$(ratio "$b" "$a")"
