#!/usr/bin/env bash
# The cost of a thread dump to a stop (docs/diagnostics.md): `supervisor run --timeout` of a
# hanging task, with the dump (the default) and with --no-thread-dump, in pairs whose order
# alternates, so that both halves of a pair see the same load. For each pair, the delay is the
# difference of the two runs' wall times; the supervisor's own measure (its `thread dump took`
# debug line) is reported beside it. Two tasks:
#   one JVM:  test-tasks.jar hang, --timeout 1s
#   4 JVMs:   test-tasks.jar jvm-tree - - - (the task JVM and three child JVMs), --timeout 3s
# Not part of run-all: it only informs the document.
#
# Usage: benchmarks/thread-dump.sh [--quick] [--in-place]   (7 pairs each; --quick: 3)
. "${BASH_SOURCE[0]%/*}/lib.sh" "$@"

pairs=7
[ "$QUICK" = 1 ] && pairs=3
dumps=$TMP/dumps
mkdir -p "$dumps"

# one RUN-OPTIONS... -- TASK-ARGS...: sets took_us (wall time of the run), dump_ms (the
# supervisor's own measure, or -), status and files (dump files written).
one() {
    local err=$TMP/err start
    rm -f "$dumps"/*
    start=$(now_us)
    BENCH_RUN=$RUN_ID "$SUP" run -v --dump-dir "$dumps" "$@" </dev/null >/dev/null 2>"$err"
    status=$?
    took_us=$(($(now_us) - start))
    dump_ms=$(grep -m1 -o 'thread dump took [0-9.]*m\?s' "$err" | sed 's/thread dump took //')
    dump_ms=${dump_ms:--}
    files=$(find "$dumps" -name 'supervisor-threads-*.txt' | wc -l)
}

measure() { # measure NAME TIMEOUT TASK-ARGS...
    local name=$1 timeout=$2 i first
    shift 2
    local -a on=() off=() delta=() own=()
    progress "$name: $pairs pairs"
    for ((i = 0; i < pairs; i++)); do
        for first in $((i % 2)) $((1 - i % 2)); do
            if [ "$first" = 0 ]; then
                one --timeout "$timeout" "$TASKS" -- "$@"
                [ "$status" = 124 ] && [ "$files" = 1 ] || { echo "$name: with the dump: status $status, $files files" >&2; cat "$TMP/err" >&2; exit 1; }
                on+=("$took_us") own+=("$dump_ms")
            else
                one --no-thread-dump --timeout "$timeout" "$TASKS" -- "$@"
                [ "$status" = 124 ] && [ "$files" = 0 ] || { echo "$name: without: status $status, $files files" >&2; exit 1; }
                off+=("$took_us")
            fi
        done
        delta+=($((on[i] - off[i])))
    done
    echo "| $name | $(fmt_ms "$(median "${off[@]}")") | $(fmt_ms "$(median "${on[@]}")") |" \
        "$(fmt_ms "$(median "${delta[@]}")") (from $(fmt_ms "$(minimum "${delta[@]}")") to $(fmt_ms "$(maximum "${delta[@]}")")) |" \
        "${own[*]} |"
}

echo "Thread dump cost, $pairs pairs per row, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| task | run without dump, median ms | run with dump, median ms | delay per pair, median ms (range) | supervisor's own 'thread dump took', each run |"
echo "|---|---|---|---|---|"
measure "one JVM, --timeout 1s" 1s hang
measure "4 JVMs (jvm-tree - - -), --timeout 3s" 3s jvm-tree - - -
