#!/usr/bin/env bash
# Row 3, streaming: a task that writes 1 GiB to stdout (`test-tasks.jar write-bytes 1073741824`,
# 64 KiB writes) under `scripts/supervisor run` against plain `java -jar`, into
#   (a) a pipe to `cat > /dev/null`, and
#   (b) a file in this script's /tmp directory (deleted after each run).
# Whole-process wall time, so start-up and exit are included in both. Paired runs (7 after one
# warm-up pair; 2 with --quick), the order alternating from pair to pair; the row reports the median
# of the per-pair throughput ratios supervisor/plain (= plain time / supervisor time). Every run's
# time is listed in the notes: on 2 CPUs a 1 GiB pipe transfer varies a lot from run to run.
#
# Usage: benchmarks/streaming.sh [--quick] [--in-place] [--tree DIR]
. "${BASH_SOURCE[0]%/*}/lib.sh" "$@"

bytes=1073741824
pairs=7 warm=1
if [ "$QUICK" = 1 ]; then pairs=2 warm=0; fi
out=$TMP/stream.out

# time_stream VARIANT SINK: sets $elapsed (us) and $status (of the writer), checks the byte count.
time_stream() {
    local a b
    a=$EPOCHREALTIME
    case $2 in
        pipe)
            run_variant "$1" write-bytes "$bytes" 2>/dev/null | cat >/dev/null
            status=${PIPESTATUS[0]} ;;
        file)
            run_variant "$1" write-bytes "$bytes" 2>/dev/null >"$out"
            status=$? ;;
    esac
    b=$EPOCHREALTIME
    elapsed=$((${b//[.,]/} - ${a//[.,]/}))
    if [ "$2" = file ]; then
        local size
        size=$(stat -c %s "$out" 2>/dev/null || echo 0)
        [ "$size" = "$bytes" ] || status="$status(wrote $size bytes)"
        rm -f "$out"
        sync # untimed: no writeback of this run's file may overlap the next run
    fi
}

# MiB/s for $bytes in $1 microseconds.
mib_per_s() { echo $((bytes * 1000000 / 1048576 / $1)); }

runs_note=
for sink in pipe file; do
    progress "streaming 1 GiB into a $sink: $warm warm-up pair(s), then $pairs pairs"
    plain_t=() sup_t=() ratios=() bad=
    for ((p = -warm; p < pairs; p++)); do
        if (((p + warm) % 2 == 0)); then order=(plain sup); else order=(sup plain); fi
        declare -A this=()
        for v in "${order[@]}"; do
            time_stream "$v" "$sink"
            [ "$status" = 0 ] || bad="$bad $v:$status"
            this[$v]=$elapsed
        done
        ((p < 0)) && continue
        plain_t+=("${this[plain]}")
        sup_t+=("${this[sup]}")
        ratios+=("$(ratio_milli "${this[plain]}" "${this[sup]}")")
    done
    mr=$(median "${ratios[@]}")
    mp=$(median "${plain_t[@]}")
    ms=$(median "${sup_t[@]}")
    if ((mr >= 950)); then verdict="within budget"; else verdict="OVER budget"; fi
    detail="median time supervisor $(fmt_ms "$ms") ms ($(mib_per_s "$ms") MiB/s) vs plain $(fmt_ms "$mp") ms ($(mib_per_s "$mp") MiB/s);"
    detail="$detail per-pair ratios $(fmt_ratio "$(minimum "${ratios[@]}")")-$(fmt_ratio "$(maximum "${ratios[@]}")"); $pairs pairs after $warm warm-up(s)"
    [ -n "$bad" ] && detail="$detail; FAILED RUNS:$bad"
    case $sink in
        pipe) name="streaming 1 GiB into a pipe to cat > /dev/null: throughput supervisor / plain" ;;
        file) name="streaming 1 GiB to a file in /tmp: throughput supervisor / plain" ;;
    esac
    row "$name" "$(fmt_ratio "$mr")x" ">= 0.95x" "$verdict" "$detail"
    list_ms() { local x out=; for x in "$@"; do out="$out $(fmt_ms "$x")"; done; echo "${out# }"; }
    runs_note="$runs_note| $sink | $(list_ms "${plain_t[@]}") | $(list_ms "${sup_t[@]}") |"$'\n'
done
note "### Streaming 1 GiB, every run (ms, in pair order)" "" "| sink | plain java | supervisor run |" "|---|---|---|"
note "${runs_note%$'\n'}" ""
# --- Where the difference goes -------------------------------------------------------------------
# A few more pairs through the java wrapper of lib.sh, which notes when the task JVM is exec'ed and
# when it ends: the task's own time (start-up + 1 GiB of writes + exit) can then be told apart from
# what comes before it (launcher) and after it (the supervisor's post-exit work and exit).
traced=5
[ "$QUICK" = 1 ] && traced=1
make_trace_wrapper
declare -A seg=()
for sink in pipe file; do
    progress "streaming breakdown: $traced traced pair(s) into a $sink"
    for ((p = 0; p < traced; p++)); do
        if ((p % 2 == 0)); then order=(plain sup); else order=(sup plain); fi
        for v in "${order[@]}"; do
            log=$TMP/stream-trace.$v.$p
            : >"$log"
            a=$EPOCHREALTIME
            if [ "$v" = plain ]; then
                cmd=("$wrapper_home/bin/java" -jar "$TASKS" write-bytes "$bytes")
            else
                cmd=("$SUP" run --java "$wrapper_home/bin/java" "$TASKS" -- write-bytes "$bytes")
            fi
            if [ "$sink" = pipe ]; then
                BENCH_RUN=$RUN_ID BENCH_TRACE_LOG=$log JAVA_HOME=$wrapper_home "${cmd[@]}" </dev/null 2>/dev/null |
                    cat >/dev/null
            else
                BENCH_RUN=$RUN_ID BENCH_TRACE_LOG=$log JAVA_HOME=$wrapper_home "${cmd[@]}" </dev/null 2>/dev/null >"$out"
            fi
            b=$EPOCHREALTIME
            if [ "$sink" = file ]; then rm -f "$out"; sync; fi
            a=${a//[.,]/} b=${b//[.,]/}
            te=$(event "$log" task-exec)
            tx=$(event "$log" task-exit)
            [ -n "$te" ] && [ -n "$tx" ] || continue
            k=$sink.$v
            seg[$k|before]="${seg[$k|before]:-} $((te - a))"
            seg[$k|task]="${seg[$k|task]:-} $((tx - te))"
            seg[$k|after]="${seg[$k|after]:-} $((b - tx))"
            seg[$k|total]="${seg[$k|total]:-} $((b - a))"
        done
    done
done
cell() { # cell KEY PART
    # shellcheck disable=SC2086
    [ -n "${seg[$1|$2]:-}" ] && fmt_ms "$(median ${seg[$1|$2]})"
}
note "### Streaming 1 GiB: where the time goes (median of $traced traced pair(s) per sink, ms)" ""
note "Through the java wrapper (one bash start-up more per JVM than in row 3)." ""
note "| part | pipe: plain java | pipe: supervisor run | file: plain java | file: supervisor run |" "|---|---|---|---|---|"
for part in before task after total; do
    case $part in
        before) label="start -> task JVM exec'ed" ;;
        task) label="task JVM exec -> exit (start-up, 1 GiB of writes, exit)" ;;
        after) label="task JVM exit -> whole command done" ;;
        total) label="total" ;;
    esac
    note "| $label | $(cell pipe.plain $part) | $(cell pipe.sup $part) | $(cell file.plain $part) | $(cell file.sup $part) |"
done
note ""
# The streaming itself: the task JVM's own time (exec to exit: its start-up, 1 GiB of writes, its
# exit) under the supervisor against plain. The whole-command rows above also carry the
# supervisor's fixed start-up and exit (the one-shot row's overhead, ~150 ms here against a
# 1 GiB run of ~320 ms), which says nothing of how fast the bytes flow.
for sink in pipe file; do
    [ -n "${seg[$sink.plain|task]:-}" ] && [ -n "${seg[$sink.sup|task]:-}" ] || continue
    # shellcheck disable=SC2086
    tp=$(median ${seg[$sink.plain|task]})
    # shellcheck disable=SC2086
    ts=$(median ${seg[$sink.sup|task]})
    r=$(ratio_milli "$tp" "$ts")
    if ((r >= 950)); then verdict="within budget"; else verdict="OVER budget"; fi
    case $sink in
        pipe) name="streaming 1 GiB into a pipe, the task JVM's own time: supervisor / plain" ;;
        file) name="streaming 1 GiB to a file, the task JVM's own time: supervisor / plain" ;;
    esac
    row "$name" "$(fmt_ratio "$r")x" ">= 0.95x" "$verdict" \
        "median of $traced traced pair(s): task JVM exec to exit $(fmt_ms "$ts") ms supervised vs $(fmt_ms "$tp") ms plain; the rest of the whole-command difference is the supervisor's fixed start-up and exit (the one-shot row)"
done
exit 0
