#!/usr/bin/env bash
# Row 1, one-shot overhead: `scripts/supervisor run test-tasks.jar -- hello` against plain
# `java -jar test-tasks.jar hello`, whole process, default flags, output to /dev/null.
#
# stdout goes to /dev/null; stderr to a file in /tmp (empty unless something fails; a failed run's
# stderr is kept in benchmarks/target/logs). Paired runs: each round runs plain, supervisor (default mechanism), supervisor with SUPERVISOR_TERMINATION=tree
# and GNU `timeout 30s java -jar` once each, the order rotating from round to round; a ratio is
# taken within a round, and the row reports the median of those ratios and the median time of each.
#
# Then a breakdown: a few more rounds with SUPERVISOR_TRACE=1 and a java wrapper that notes when
# each JVM is exec'ed (and when the task's JVM ends), to show where the supervisor's time goes.
#
# Usage: benchmarks/oneshot.sh [--quick] [--in-place] [--tree DIR]
. "${BASH_SOURCE[0]%/*}/lib.sh" "$@"

pairs=30 warm=3 traced=12
if [ "$QUICK" = 1 ]; then pairs=10 warm=2 traced=4; fi

variants=(plain sup sup-tree timeout)
# Where the supervisor runs on a JDK of its own (an AOT cache, see scripts/make-aot-cache), also
# on the task's java, for the comparison.
case $(supervisor_jvm) in *"AOT cache"*) variants+=(sup-taskjvm) ;; esac
rm -f "$TARGET"/logs/oneshot.*
declare -A times=() ratios=() failures=()

# time_variant VARIANT: runs it once with hello; sets $elapsed (us) and $status.
time_variant() {
    local a b
    a=$EPOCHREALTIME
    run_variant "$1" hello >/dev/null 2>"$TMP/last.err"
    status=$?
    b=$EPOCHREALTIME
    elapsed=$((${b//[.,]/} - ${a//[.,]/}))
    if [ "$status" != 0 ]; then
        mkdir -p "$TARGET/logs"
        cp "$TMP/last.err" "$TARGET/logs/oneshot.$1.$r.stderr"
    fi
}

progress "one-shot overhead: $warm warm-up rounds, then $pairs paired rounds of ${variants[*]}"
for ((r = -warm; r < pairs; r++)); do
    declare -A this=()
    for ((k = 0; k < ${#variants[@]}; k++)); do
        v=${variants[(k + r + warm) % ${#variants[@]}]}
        time_variant "$v"
        if [ "$status" != 0 ]; then
            failures[$v]="${failures[$v]:-} $status"
        fi
        this[$v]=$elapsed
    done
    ((r < 0)) && continue
    for v in "${variants[@]}"; do
        times[$v]="${times[$v]:-} ${this[$v]}"
        [ "$v" = plain ] && continue
        ratios[$v]="${ratios[$v]:-} $(ratio_milli "${this[$v]}" "${this[plain]}")"
    done
done

# shellcheck disable=SC2086
med_plain=$(median ${times[plain]})
for v in "${variants[@]}"; do
    [ "$v" = plain ] && continue
    # shellcheck disable=SC2086
    {
        mr=$(median ${ratios[$v]})
        mt=$(median ${times[$v]})
        lo=$(minimum ${ratios[$v]})
        hi=$(maximum ${ratios[$v]})
    }
    detail="median $(fmt_ms "$mt") ms vs plain $(fmt_ms "$med_plain") ms; per-pair ratios $(fmt_ratio "$lo")-$(fmt_ratio "$hi"); $pairs pairs after $warm warm-ups"
    [ -n "${failures[$v]:-}" ] && detail="$detail; NON-ZERO EXIT STATUSES:${failures[$v]} (stderr in benchmarks/target/logs/oneshot.$v.*)"
    case $v in
        sup)
            if ((mr <= 1500)); then verdict="within budget"; else verdict="OVER budget"; fi
            row "one-shot overhead: supervisor run / plain java (hello)" "$(fmt_ratio "$mr")x" "<= 1.5x" "$verdict" "$detail" ;;
        sup-tree)
            row "one-shot overhead, SUPERVISOR_TERMINATION=tree (info)" "$(fmt_ratio "$mr")x" "-" "info" "$detail" ;;
        timeout)
            row "one-shot anchor: timeout 30s java -jar / plain java (info)" "$(fmt_ratio "$mr")x" "-" "info" "$detail" ;;
        sup-taskjvm)
            row "one-shot overhead, SUPERVISOR_JVM=java: the supervisor on the task's java, AppCDS (info)" "$(fmt_ratio "$mr")x" "-" "info" "$detail" ;;
    esac
done
[ -n "${failures[plain]:-}" ] && note "WARNING: plain java hello exited non-zero:${failures[plain]}"

# --- Breakdown -------------------------------------------------------------------------------
make_trace_wrapper

# traced_run VARIANT LOG: one traced run; the log gets start, the wrapper's lines, the
# supervisor's trace lines and end, each as "EVENT MICROS".
traced_run() {
    local v=$1 log=$2 a b mech=auto
    [ "$v" = sup-tree ] && mech=tree
    : >"$log"
    a=$EPOCHREALTIME
    case $v in
        plain) BENCH_RUN=$RUN_ID "$JAVA" -jar "$TASKS" hello </dev/null >/dev/null 2>&1 ;;
        plain-wrapped) BENCH_RUN=$RUN_ID BENCH_TRACE_LOG=$log "$wrapper_home/bin/java" -jar "$TASKS" hello \
                           </dev/null >/dev/null 2>&1 ;;
        version) BENCH_RUN=$RUN_ID SUPERVISOR_TRACE=1 "$SUP" --version </dev/null >/dev/null 2>"$log.err" ;;
        *) BENCH_RUN=$RUN_ID BENCH_TRACE_LOG=$log JAVA_HOME=$wrapper_home SUPERVISOR_TRACE=1 \
               SUPERVISOR_TERMINATION=$mech \
               "$SUP" run --java "$wrapper_home/bin/java" "$TASKS" -- hello </dev/null >/dev/null 2>"$log.err" ;;
    esac
    b=$EPOCHREALTIME
    {
        echo "start ${a//[.,]/}"
        echo "end ${b//[.,]/}"
        if [ -f "$log.err" ]; then
            local _s _t ts ev
            while read -r _s _t ts ev; do
                [ "$_t" = trace: ] && echo "${ev// /-} $ts"
            done <"$log.err"
        fi
    } >>"$log"
}

progress "breakdown: $traced traced rounds (SUPERVISOR_TRACE=1, java wrapper)"
declare -A seg=()
segments=(
    "launcher: start -> supervisor JVM exec'ed|start|supervisor-exec"
    "supervisor JVM: exec -> main|supervisor-exec|main"
    "supervisor: main -> parsed|main|parsed"
    "supervisor: parsed -> launch (jar checked)|parsed|launch"
    "supervisor: launch -> guardian ready|launch|guardian-ready"
    "supervisor: guardian ready -> contained (cgroup leaf made)|guardian-ready|contained"
    "supervisor: contained -> spawned (ProcessBuilder.start)|contained|spawned"
    "task: spawned -> task JVM exec'ed (setsid, setpriv, sh)|spawned|task-exec"
    "task JVM: exec -> exit|task-exec|task-exit"
    "supervisor: task JVM exit -> 'task exited' seen|task-exit|task-exited"
    "supervisor: 'task exited' -> 'tree checked' (post-exit check)|task-exited|tree-checked"
    "supervisor: 'tree checked' -> released (leaf removed, guardian told)|tree-checked|released"
    "supervisor: released -> process gone (JVM exit)|released|end"
    "after the task JVM ended: task exit -> process gone|task-exit|end"
    "total: start -> end|start|end"
    "start -> supervisor main (launcher + JVM start)|start|main"
    "supervisor main -> end|main|end"
)
to_main="start -> supervisor main (launcher + JVM start)"
from_main="supervisor main -> end"
for ((r = 0; r < traced; r++)); do
    for v in plain plain-wrapped sup sup-tree version; do
        log=$TMP/trace.$v.$r
        traced_run "$v" "$log"
        for s in "${segments[@]}"; do
            IFS='|' read -r label from to <<<"$s"
            f=$(event "$log" "$from")
            t=$(event "$log" "$to")
            [ -n "$f" ] && [ -n "$t" ] && seg[$v|$label]="${seg[$v|$label]:-} $((t - f))"
        done
    done
done

m() { # m VARIANT LABEL: median of a segment, in us ("" if never seen)
    # shellcheck disable=SC2086
    [ -n "${seg[$1|$2]:-}" ] && median ${seg[$1|$2]}
}
total="total: start -> end"
plain_t=$(m plain "$total")
wrapper_cost=$(($(m plain-wrapped "$total") - plain_t))
note "### One-shot breakdown (median of $traced traced runs of each, ms)" ""
note "Traced runs use SUPERVISOR_TRACE=1 and a bash java wrapper (JAVA_HOME and --java) that notes when each JVM"
note "is exec'ed and when the task JVM ends. The wrapper costs $(fmt_ms "$wrapper_cost") ms per JVM (plain java through it"
note "$(fmt_ms "$(m plain-wrapped "$total")") ms vs $(fmt_ms "$plain_t") ms without it, in the same rounds), so traced totals run a little above row 1."
note "All times come from one clock: bash \$EPOCHREALTIME and the JVM's Instant.now(), in epoch microseconds." ""
note "| segment | default (cgroup here) | SUPERVISOR_TERMINATION=tree |" "|---|---|---|"
for s in "${segments[@]}"; do
    IFS='|' read -r label _ _ <<<"$s"
    cells=
    for v in sup sup-tree; do
        x=$(m "$v" "$label")
        cells="$cells | ${x:+$(fmt_ms "$x")}"
        [ -z "$x" ] && cells="$cells-"
    done
    note "| $label$cells |"
done
note "| for comparison: plain java -jar hello (same rounds) | $(fmt_ms "$plain_t") | |"
note "| for comparison: scripts/supervisor --version (the supervisor JVM alone, no task) | $(fmt_ms "$(m version "$total")") | |"
note "" "Of which for --version: start -> main $(fmt_ms "$(m version "$to_main")") ms, main -> end $(fmt_ms "$(m version "$from_main")") ms." ""
