#!/usr/bin/env bash
# What `supervisor timeout` costs against GNU timeout (issue 27, item 5), in the same rounds:
#   `timeout 10 true`     the fixed cost of a start and an end, nothing else
#   `timeout 10 sleep 1`  a one-second command: the same cost, seen against real work
# each run as GNU's /usr/bin/timeout and as the supervisor's, through a link named timeout beside
# the launcher (bin/timeout, the installed layout: no readlink), and `supervisor timeout` itself.
# Also, for information: the command alone (true, sleep 1); for `true`, the supervisor's with
# SUPERVISOR_TERMINATION=tree (no cgroup: JNA is loaded before the spawn, for the subreaper), and
# both under a caller that ignores SIGPIPE (`env --ignore-signal=PIPE` in front of each).
#
# Whole process, timed with $EPOCHREALTIME around the command; stdin from /dev/null, stdout and
# stderr to /dev/null (nothing is expected on either: a run that exits non-zero is counted and
# reported). Each round runs every variant once, in an order that rotates from round to round;
# ratios and differences are taken within a round, and a row is the median of them.
#
# Usage: benchmarks/timeout.sh [--quick] [--in-place] [--tree DIR]
# The commands measured start with no signal ignored, as from a terminal or most scripts: a caller
# that ignores some (a background job's INT and QUIT, nohup's HUP) costs the launcher one
# `env --default-signal` more, which the "ignoring PIPE" rows measure on their own.
sigign=0
while read -r key mask; do [ "$key" = SigIgn: ] && sigign=$mask; done </proc/$$/status
if [ "$((16#$sigign))" != 0 ] && [ -z "${BENCH_TIMEOUT_REEXEC:-}" ]; then
    BENCH_TIMEOUT_REEXEC=1 exec env --default-signal bash "${BASH_SOURCE[0]}" "$@"
fi
. "${BASH_SOURCE[0]%/*}/lib.sh" "$@"

rounds=30 warm=3 sleep_rounds=8
if [ "$QUICK" = 1 ]; then rounds=8 warm=2 sleep_rounds=3; fi
GNU=$(command -v timeout)
case $GNU in "") echo "timeout.sh: GNU timeout not found in PATH" >&2; exit 2 ;; esac

# The installed layout's link: bin/timeout beside bin/supervisor. In place, a link in $TMP/bin,
# which the launcher resolves with readlink (its cost shows against the snapshot's).
link_dir=${SUP%/*}
if [ "$IN_PLACE" = 1 ]; then link_dir=$TMP/bin; mkdir -p "$link_dir"; fi
ln -sf "$SUP" "$link_dir/timeout"
LINK=$link_dir/timeout

# run_one VARIANT COMMAND...: sets $elapsed (us) and $status.
run_one() {
    local v=$1 a b
    shift
    a=$EPOCHREALTIME
    case $v in
        alone) BENCH_RUN=$RUN_ID "$(type -P "$1")" "${@:2}" ;; # the program, not bash's builtin true
        gnu) BENCH_RUN=$RUN_ID "$GNU" 10 "$@" ;;
        link) BENCH_RUN=$RUN_ID "$LINK" 10 "$@" ;;
        sup) BENCH_RUN=$RUN_ID "$SUP" timeout 10 "$@" ;;
        tree) BENCH_RUN=$RUN_ID SUPERVISOR_TERMINATION=tree "$LINK" 10 "$@" ;;
        gnu-ign) BENCH_RUN=$RUN_ID env --ignore-signal=PIPE "$GNU" 10 "$@" ;;
        link-ign) BENCH_RUN=$RUN_ID env --ignore-signal=PIPE "$LINK" 10 "$@" ;;
    esac </dev/null >/dev/null 2>"$TMP/last.err"
    status=$?
    b=$EPOCHREALTIME
    elapsed=$((${b//[.,]/} - ${a//[.,]/}))
    if [ "$status" != 0 ] || [ -s "$TMP/last.err" ]; then
        mkdir -p "$TARGET/logs"
        cp "$TMP/last.err" "$TARGET/logs/timeout.$v.$status.stderr"
        failures[$v]="${failures[$v]:-} $status"
    fi
}

declare -A times=() ratios=() added=() failures=()

# measure NAME ROUNDS WARM VARIANTS COMMAND...: every variant (a space-separated list) once a
# round; keyed NAME|VARIANT. A variant NAME-ign is compared with gnu-ign, any other with gnu.
measure() {
    local name=$1 n=$2 w=$3 r k v base
    local -a variants
    read -ra variants <<<"$4"
    shift 4
    progress "$name: $w warm-up rounds, then $n rounds of ${variants[*]}"
    for ((r = -w; r < n; r++)); do
        declare -A this=()
        for ((k = 0; k < ${#variants[@]}; k++)); do
            v=${variants[(k + r + w) % ${#variants[@]}]}
            run_one "$v" "$@"
            this[$v]=$elapsed
        done
        ((r < 0)) && continue
        for v in "${variants[@]}"; do
            times[$name|$v]="${times[$name|$v]:-} ${this[$v]}"
            case $v in gnu|gnu-ign) continue ;; *-ign) base=gnu-ign ;; *) base=gnu ;; esac
            ratios[$name|$v]="${ratios[$name|$v]:-} $(ratio_milli "${this[$v]}" "${this[$base]}")"
            added[$name|$v]="${added[$name|$v]:-} $((this[$v] - this[$base]))"
        done
    done
}

measure "timeout 10 true" "$rounds" "$warm" "alone gnu link sup tree gnu-ign link-ign" true
measure "timeout 10 sleep 1" "$sleep_rounds" 1 "alone gnu link sup" sleep 1

# report NAME VARIANT LABEL VERDICT
report() {
    local key="$1|$2"
    # shellcheck disable=SC2086
    local base=gnu
    [[ $2 == *-ign ]] && base=gnu-ign
    local mr=$(median ${ratios[$key]}) ma=$(median ${added[$key]}) mt=$(median ${times[$key]}) mg=$(median ${times[$1|$base]})
    # shellcheck disable=SC2086
    local lo=$(minimum ${ratios[$key]}) hi=$(maximum ${ratios[$key]})
    local detail="+$(fmt_ms "$ma") ms added (median of per-round differences): median $(fmt_ms "$mt") ms vs GNU's $(fmt_ms "$mg") ms; per-round ratios $(fmt_ratio "$lo")-$(fmt_ratio "$hi")"
    [ -n "${failures[$2]:-}" ] && detail="$detail; NON-ZERO STATUS OR OUTPUT ON STDERR:${failures[$2]} (benchmarks/target/logs/timeout.$2.*)"
    row "$3" "$(fmt_ratio "$mr")x" "-" "$4" "$detail"
}
for name in "timeout 10 true" "timeout 10 sleep 1"; do
    report "$name" link "timeout: $name, supervisor's (bin/timeout link) / GNU's" "info"
    report "$name" sup "timeout: $name as supervisor timeout / GNU's (info)" "info"
    # shellcheck disable=SC2086
    note "- $name: the command alone $(fmt_ms "$(median ${times[$name|alone]})") ms, under GNU timeout $(fmt_ms "$(median ${times[$name|gnu]})") ms (medians; GNU's own cost is the difference)."
done
report "timeout 10 true" tree "timeout: timeout 10 true, SUPERVISOR_TERMINATION=tree / GNU's (info)" "info"
report "timeout 10 true" link-ign "timeout: timeout 10 true, caller ignoring PIPE / GNU's the same (info)" "info"
note "- GNU timeout: $GNU ($("$GNU" --version | head -n1)); rounds: $rounds (true), $sleep_rounds (sleep 1)"
note "- supervisor JVM: $(supervisor_jvm)"
[ -n "${failures[gnu]:-}" ] && note "WARNING: GNU timeout exited non-zero:${failures[gnu]}"
[ -n "${failures[alone]:-}" ] && note "WARNING: the command alone exited non-zero:${failures[alone]}"
exit 0
