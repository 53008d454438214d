#!/usr/bin/env bash
# Row 4, memory: the supervisor JVM's own footprint while it supervises one `hang` task.
# `scripts/supervisor run test-tasks.jar -- hang` is started in the background; the launcher execs
# into the supervisor JVM, so the pid we started is the supervisor's. 2 s after the start, VmRSS
# and VmHWM are read from /proc/PID/status; then the supervisor gets SIGTERM and stops the task.
# Median of 3 runs (1 with --quick). The task JVM's own VmRSS is shown for comparison, and the
# same with SUPERVISOR_TERMINATION=tree (the native layer loaded) as an information row.
#
# Usage: benchmarks/memory.sh [--quick] [--in-place] [--tree DIR]
. "${BASH_SOURCE[0]%/*}/lib.sh" "$@"

runs=3
[ "$QUICK" = 1 ] && runs=1
settle_ms=2000

# one_run MECHANISM: sets rss, hwm (KiB), task_rss (KiB), cpu_ms (the supervisor's CPU time so far), exe, error.
one_run() {
    local err=$TMP/mem.err a tp now
    rss= hwm= task_rss= cpu_ms= task_cpu_ms= exe= error=
    a=$(now_us)
    BENCH_RUN=$RUN_ID SUPERVISOR_TERMINATION=$1 "$SUP" run -v "$TASKS" -- hang </dev/null >/dev/null 2>"$err" &
    local sp=$!
    started+=("$sp")
    if ! wait_for_line "$err" ready 30000; then
        error="no 'ready' within 30 s"
        kill -TERM "$sp" 2>/dev/null
        wait "$sp"
        return 1
    fi
    now=$(now_us)
    (((now - a) / 1000 < settle_ms)) && sleep_ms $((settle_ms - (now - a) / 1000))
    rss=$(status_kib "$sp" VmRSS)
    hwm=$(status_kib "$sp" VmHWM)
    cpu_ms=$(cpu_time_ms "$sp")
    exe=$(readlink "/proc/$sp/exe")
    if [[ $(grep -m1 -o 'task pid [0-9]*' "$err") =~ ([0-9]+)$ ]]; then
        tp=${BASH_REMATCH[1]}
        task_rss=$(status_kib "$tp" VmRSS)
        task_cpu_ms=$(cpu_time_ms "$tp")
    fi
    kill -TERM "$sp"
    wait "$sp"
    [ -n "$rss" ] && [ -n "$hwm" ] || { error="could not read /proc/$sp/status"; return 1; }
    [[ $exe == */java ]] || { error="pid $sp is $exe, not the supervisor JVM"; return 1; }
}

for mech in auto tree; do
    [ "$mech" = tree ] && ((QUICK == 1)) && continue
    progress "memory, SUPERVISOR_TERMINATION=$mech: $runs run(s) of a hang task, ${settle_ms} ms each"
    rsss=() hwms=() tasks=() cpus=() task_cpus=() errors=
    for ((i = 1; i <= runs; i++)); do
        if one_run "$mech"; then
            rsss+=("$rss")
            hwms+=("$hwm")
            [ -n "$task_rss" ] && tasks+=("$task_rss")
            [ -n "$cpu_ms" ] && cpus+=("$cpu_ms")
            [ -n "$task_cpu_ms" ] && task_cpus+=("$task_cpu_ms")
        else
            errors="$errors run $i: $error;"
        fi
    done
    if ((${#rsss[@]} == 0)); then
        row "supervisor JVM memory (termination $mech)" "not measured" "<= 48 MiB" "not measured" "$errors"
        continue
    fi
    mr=$(median "${rsss[@]}")
    mh=$(median "${hwms[@]}")
    max_h=$(maximum "${hwms[@]}")
    if ((mr <= 48 * 1024 && mh <= 48 * 1024)); then verdict="within budget"; else verdict="OVER budget"; fi
    detail="VmRSS after 2 s $(fmt_mib "$mr") MiB (range $(fmt_mib "$(minimum "${rsss[@]}")")-$(fmt_mib "$(maximum "${rsss[@]}")")), VmHWM $(fmt_mib "$mh") MiB (max $(fmt_mib "$max_h"));"
    ((${#tasks[@]} > 0)) && detail="$detail for comparison the task JVM (hang) VmRSS $(fmt_mib "$(median "${tasks[@]}")") MiB;"
    ((${#cpus[@]} > 0)) && detail="$detail the supervisor JVM's CPU time (user+sys) after 2 s: $(median "${cpus[@]}") ms (the task JVM's: $(median "${task_cpus[@]}") ms);"
    detail="$detail median of ${#rsss[@]} run(s)"
    [ -n "$errors" ] && detail="$detail; FAILED:$errors"
    if [ "$mech" = auto ]; then
        row "supervisor JVM memory (VmRSS / VmHWM), one hang task" "$(fmt_mib "$mr") / $(fmt_mib "$mh") MiB" "<= 48 MiB" "$verdict" "$detail"
    else
        row "supervisor JVM memory, SUPERVISOR_TERMINATION=tree (info)" "$(fmt_mib "$mr") / $(fmt_mib "$mh") MiB" "-" "info" "$detail"
    fi
done
exit 0
