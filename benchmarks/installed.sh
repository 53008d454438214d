#!/usr/bin/env bash
# The installed supervisor's one-shot overhead against the build tree's, in one run (issue 27):
# `supervisor run test-tasks.jar -- hello` through an installed launcher (the Debian package's
# /usr/bin/supervisor, or an unpacked archive's bin/supervisor) and through the build (a snapshot
# of it, as every benchmark takes; --in-place: the tree itself), each against plain
# `java -jar test-tasks.jar hello`. Both use the start-up caches they were given: the build's
# (scripts/make-caches at package time, again for the snapshot), and the installed one's (made by
# the package's postinst, or lib/make-caches for an archive). A gap between them means the
# installed caches do not apply (made for another JDK, or missing).
#
# Usage: [SUPERVISOR_INSTALLED=PATH] benchmarks/installed.sh [--quick] [--in-place] [--tree DIR]
#   SUPERVISOR_INSTALLED: the installed launcher (default /usr/bin/supervisor); absent: says so.
. "${BASH_SOURCE[0]%/*}/lib.sh" "$@"

installed=${SUPERVISOR_INSTALLED:-/usr/bin/supervisor}
if [ ! -x "$installed" ]; then
    row "one-shot overhead, installed vs build (info)" "-" "-" "not run" \
        "no installed supervisor at $installed (install the package, or set SUPERVISOR_INSTALLED to an unpacked archive's bin/supervisor)"
    exit 0
fi
# What the installed launcher reads: lib/ beside its bin/, through the link on PATH.
inst_home=$(readlink -f -- "$installed")
inst_home=${inst_home%/bin/supervisor}/lib
caches=
for f in supervisor.jsa supervisor.aot; do
    [ -f "$inst_home/$f" ] && caches="$caches $f"
done
jvm=
[ -f "$inst_home/supervisor.jvm" ] && read -r jvm <"$inst_home/supervisor.jvm"

pairs=30 warm=3
if [ "$QUICK" = 1 ]; then pairs=10 warm=2; fi
variants=(plain build installed)
# Where the supervisor runs on a JDK 25 of its own (its AOT cache), also both on the tasks' java,
# which shows the AppCDS archive of each.
[ -n "$jvm" ] && variants+=(build-taskjvm installed-taskjvm)
declare -A times=() ratios=() failures=()

one() { # one VARIANT: runs it once; sets $elapsed (us) and $status
    local a b
    a=$EPOCHREALTIME
    case $1 in
        plain) BENCH_RUN=$RUN_ID "$JAVA" -jar "$TASKS" hello </dev/null >/dev/null 2>"$TMP/last.err" ;;
        build) BENCH_RUN=$RUN_ID "$SUP" run "$TASKS" -- hello </dev/null >/dev/null 2>"$TMP/last.err" ;;
        installed) BENCH_RUN=$RUN_ID "$installed" run "$TASKS" -- hello </dev/null >/dev/null 2>"$TMP/last.err" ;;
        build-taskjvm) BENCH_RUN=$RUN_ID SUPERVISOR_JVM=java "$SUP" run "$TASKS" -- hello </dev/null >/dev/null \
                           2>"$TMP/last.err" ;;
        installed-taskjvm) BENCH_RUN=$RUN_ID SUPERVISOR_JVM=java "$installed" run "$TASKS" -- hello </dev/null \
                               >/dev/null 2>"$TMP/last.err" ;;
    esac
    status=$?
    b=$EPOCHREALTIME
    elapsed=$((${b//[.,]/} - ${a//[.,]/}))
}

progress "installed vs build: $warm warm-up rounds, then $pairs paired rounds of ${variants[*]} ($installed)"
for ((r = -warm; r < pairs; r++)); do
    declare -A this=()
    for ((k = 0; k < ${#variants[@]}; k++)); do
        v=${variants[(k + r + warm) % ${#variants[@]}]}
        one "$v"
        [ "$status" != 0 ] && failures[$v]="${failures[$v]:-} $status"
        this[$v]=$elapsed
    done
    ((r < 0)) && continue
    for v in "${variants[@]}"; do
        times[$v]="${times[$v]:-} ${this[$v]}"
    done
    ratios[build]="${ratios[build]:-} $(ratio_milli "${this[build]}" "${this[plain]}")"
    ratios[installed]="${ratios[installed]:-} $(ratio_milli "${this[installed]}" "${this[plain]}")"
    ratios[vs]="${ratios[vs]:-} $(ratio_milli "${this[installed]}" "${this[build]}")"
    if [ -n "$jvm" ]; then
        ratios[bt]="${ratios[bt]:-} $(ratio_milli "${this[build-taskjvm]}" "${this[plain]}")"
        ratios[it]="${ratios[it]:-} $(ratio_milli "${this[installed-taskjvm]}" "${this[plain]}")"
        ratios[vst]="${ratios[vst]:-} $(ratio_milli "${this[installed-taskjvm]}" "${this[build-taskjvm]}")"
    fi
done

# shellcheck disable=SC2086
{
    med_plain=$(median ${times[plain]})
    med_build=$(median ${times[build]})
    med_inst=$(median ${times[installed]})
    r_build=$(median ${ratios[build]})
    r_inst=$(median ${ratios[installed]})
    r_vs=$(median ${ratios[vs]})
}
detail="$pairs pairs after $warm warm-ups; plain $(fmt_ms "$med_plain") ms"
for v in "${variants[@]}"; do
    [ -n "${failures[$v]:-}" ] && detail="$detail; $v: NON-ZERO EXIT STATUSES:${failures[$v]}"
done
row "one-shot overhead, build: supervisor run / plain java (info)" "$(fmt_ratio "$r_build")x" "-" "info" \
    "median $(fmt_ms "$med_build") ms; $(supervisor_jvm); $detail"
row "one-shot overhead, installed: supervisor run / plain java (info)" "$(fmt_ratio "$r_inst")x" "-" "info" \
    "median $(fmt_ms "$med_inst") ms; $installed, caches in $inst_home:${caches:- none}${jvm:+, supervisor JVM $jvm}; $detail"
row "one-shot, installed / build (info)" "$(fmt_ratio "$r_vs")x" "~1.00x" "info" \
    "per-round ratio of the two, median; above 1 the installed caches apply less (another JDK, missing)"
if [ -n "$jvm" ]; then
    # shellcheck disable=SC2086
    row "one-shot, SUPERVISOR_JVM=java (AppCDS): build / plain java (info)" "$(fmt_ratio "$(median ${ratios[bt]})")x" "-" \
        "info" "median $(fmt_ms "$(median ${times[build-taskjvm]})") ms"
    # shellcheck disable=SC2086
    row "one-shot, SUPERVISOR_JVM=java (AppCDS): installed / plain java (info)" "$(fmt_ratio "$(median ${ratios[it]})")x" \
        "-" "info" "median $(fmt_ms "$(median ${times[installed-taskjvm]})") ms"
    # shellcheck disable=SC2086
    row "one-shot, SUPERVISOR_JVM=java (AppCDS): installed / build (info)" "$(fmt_ratio "$(median ${ratios[vst]})")x" \
        "~1.00x" "info" "per-round ratio of the two, median"
fi
note "$SNAPSHOT_INFO"
