# shellcheck shell=bash
# Shared by the benchmark scripts (sourced, not run). Bash and coreutils only: no python, no awk,
# no bc. Times are integers in microseconds taken from $EPOCHREALTIME (bash 5); ratios are kept
# as integers in thousandths.
#
# Every process a script starts gets BENCH_RUN=<this script's run id> in its environment (as a
# prefix assignment, never exported into the script itself), so that cleanup can find and kill
# all of them, including setsid'ed grandchildren, however the script ends (Ctrl-C included).
# Files go to benchmarks/target and to $TMP (/tmp/supervisor-bench.<id>), which cleanup removes.

set -u
export LC_ALL=C # a decimal comma in $EPOCHREALTIME would break the arithmetic

if [ -z "${EPOCHREALTIME:-}" ]; then
    echo "benchmarks: bash 5 or later is needed (\$EPOCHREALTIME); this is bash $BASH_VERSION" >&2
    exit 2
fi

bench_dir=${BASH_SOURCE[0]%/*}
bench_dir=$(cd "$bench_dir" && pwd -P)
repo=${bench_dir%/*} # the tree measured: this one, or --tree DIR
TARGET=$bench_dir/target

# The knobs that change what is measured; the benchmarks set them explicitly where they want them.
unset SUPERVISOR_TERMINATION SUPERVISOR_TRACE SUPERVISOR_CDS_TRAINING SUPERVISOR_AOT_TRAINING

# The java the launcher will use (its own rule), so that "plain java" is the same JVM.
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    JAVA=$JAVA_HOME/bin/java
elif JAVA=$(command -v java); then
    :
else
    echo "benchmarks: java not found (set JAVA_HOME or PATH)" >&2
    exit 2
fi

# --tree DIR: measure the build in another work tree (e.g. the commit before a change, built
# there) with these scripts; nothing is written to DIR (its snapshot goes to /tmp as usual).
QUICK=0 IN_PLACE=0 TREE_ARGS=()
usage="usage: ${0##*/} [--quick] [--in-place] [--tree DIR]"
while (($# > 0)); do
    case $1 in
        --quick) QUICK=1 ;;
        --in-place) IN_PLACE=1 ;;
        --tree|--tree=*)
            if [ "$1" = --tree ]; then tree=${2:-}; shift; else tree=${1#--tree=}; fi
            if [ -z "$tree" ] || [ ! -d "$tree" ]; then
                echo "${0##*/}: --tree needs a directory (a work tree with a build): '$tree'" >&2
                exit 2
            fi
            repo=$(cd "$tree" && pwd -P)
            TREE_ARGS=(--tree "$repo") ;;
        -h|--help)
            echo "$usage   (see docs/performance.md)"
            exit 0 ;;
        *) echo "${0##*/}: unknown argument '$1' ($usage)" >&2; exit 2 ;;
    esac
    shift
done
SUP=$repo/scripts/supervisor
TASKS=$repo/test-tasks/target/test-tasks.jar

for f in "$SUP" "$TASKS" "$repo/supervisor/target/supervisor.jar"; do
    if [ ! -e "$f" ]; then
        echo "benchmarks: $f is missing; build first: (cd $repo && mvn -q -B -ntp package -DskipTests)" >&2
        exit 2
    fi
done

# Under run-all (BENCH_PARENT=ID:DIR) a script shares run-all's marker, so that run-all can clean
# up after it too, and works in a directory of its own inside run-all's.
if [ -n "${BENCH_PARENT:-}" ]; then
    RUN_ID=${BENCH_PARENT%%:*}
    TMP=${BENCH_PARENT#*:}/${0##*/}.$$
else
    RUN_ID=$$.${EPOCHREALTIME//[.,]/}
    TMP=/tmp/supervisor-bench.$RUN_ID
fi
mkdir -p "$TMP" "$TARGET"
# A FIFO nobody writes: `read -t` on it is a sleep that forks nothing.
mkfifo "$TMP/never"
exec {never_fd}<>"$TMP/never"

# The build under test. By default, a snapshot of the current build in $TMP/snapshot: the launcher
# in bin/, and supervisor.jar, guardian.sh, jvm.args and lib/ (JNA and its native part) in lib/,
# the layout the launcher looks for first ("$here/../lib"), plus a copy of test-tasks.jar. Its AppCDS archive is
# made the way the build makes it (supervisor/pom.xml, execution cds-archive). A rebuild elsewhere
# during the run (mvn package rewrites supervisor.jar in place, and a JVM whose jar is rewritten
# under it fails with NoClassDefFoundError; the in-tree archive goes stale) then cannot change what
# is measured. --in-place measures scripts/supervisor and the jars in the tree instead.
# Sets SNAPSHOT_INFO.
take_snapshot() {
    local dir=$1 attempt
    local parts=("$repo/supervisor/target/supervisor.jar" "$repo/supervisor/target/guardian.sh" "$repo/supervisor/target/lib")
    # A tree from before 2026-12-06 (--tree) has no jvm.args: its launcher holds its flags itself.
    [ -f "$repo/supervisor/target/jvm.args" ] && parts+=("$repo/supervisor/target/jvm.args")
    for attempt in 1 2 3; do
        rm -rf "$dir"
        mkdir -p "$dir/bin" "$dir/lib"
        cp -p "$repo/scripts/supervisor" "$dir/bin/supervisor" &&
            cp -pR "${parts[@]}" "$dir/lib/" &&
            cp -p "$TASKS" "$dir/test-tasks.jar" || return 1
        BENCH_RUN=$RUN_ID SUPERVISOR_CDS_TRAINING=1 "$dir/bin/supervisor" run --timeout 20s "$dir/test-tasks.jar" \
            -- sh 'sleep 1000 & exit 0' exit </dev/null >"$dir/cds-training.log" 2>&1
        BENCH_RUN=$RUN_ID SUPERVISOR_CDS_TRAINING=1 "$dir/bin/supervisor" timeout 20 sh -c 'sleep 1000 & exit 0' \
            </dev/null >>"$dir/cds-training.log" 2>&1
        # And the AOT cache where a JDK 25 or later is installed (the build's own step).
        cp -p "$repo/scripts/make-aot-cache" "$dir/bin/" &&
            BENCH_RUN=$RUN_ID bash "$dir/bin/make-aot-cache" "$dir/lib" "$dir/test-tasks.jar" </dev/null \
                >"$dir/aot-cache.log" 2>&1
        if [ -s "$dir/lib/supervisor.jsa" ] &&
            BENCH_RUN=$RUN_ID "$dir/bin/supervisor" --version </dev/null >/dev/null 2>&1; then
            SNAPSHOT_INFO="snapshot of the build taken $(date -u '+%H:%M:%S UTC') (supervisor.jar of $(date -u -r "$repo/supervisor/target/supervisor.jar" '+%H:%M:%S UTC')), AppCDS archive and AOT cache regenerated for it"
            return 0
        fi
        sleep 2 # perhaps caught a build half-way: try again
    done
    return 1
}

# Where results go: run-all passes files; a script run alone prints its own table at the end.
ROWS=${BENCH_ROWS:-$TMP/rows}
NOTES=${BENCH_NOTES:-$TMP/notes}
: >>"$ROWS"
: >>"$NOTES"

# Pids of supervisors this script started: cleanup sends them SIGTERM first so that they remove
# their cgroup leaves, then kills whatever still carries the run's marker.
started=()

# sleep_ms MILLIS, without a fork. A signal that arrives meanwhile is acted upon once `read` has
# returned: bash 5.2 aborts ("longjmp causes uninitialized stack frame") if a trap exits while
# `read -t` is waiting.
in_read= pending_exit=
sleep_ms() {
    local s
    printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
    in_read=1
    read -r -t "$s" -u "$never_fd" _
    in_read=
    [ -n "$pending_exit" ] && exit "$pending_exit"
    return 0
}
on_signal() { # on_signal STATUS
    if [ -n "$in_read" ]; then pending_exit=$1; else exit "$1"; fi
}

now_us() { local t=$EPOCHREALTIME; echo "${t//[.,]/}"; }

# The pids whose environment holds the exact entry NAME=VALUE.
marked_pids() {
    local f p
    for f in $(grep -lszxF -- "$1" /proc/[0-9]*/environ 2>/dev/null); do
        p=${f#/proc/}
        p=${p%/environ}
        [ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] && echo "$p"
    done
}

# all_gone PID...: true when none of the pids is a live (non-zombie) process.
all_gone() {
    local p
    for p in "$@"; do
        if [ -e "/proc/$p" ] && ! is_zombie "$p"; then return 1; fi
    done
}

# Stops everything this script started, in an order that lets the supervisor clean up after itself:
# SIGTERM to the supervisors (they stop their tasks and remove their cgroup leaves); SIGKILL to
# those still there after 3 s (run-all: 7 s, for the script it runs to clean up first), then a moment for their guardians (which then kill the task and
# remove the leaf); finally SIGKILL to whatever still carries the run's marker.
# Sleeps here use sleep(1): bash 5.2 can abort on `read -t` inside a trap.
cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    local alive i
    if ((${#started[@]} > 0)); then
        kill -TERM "${started[@]}" 2>/dev/null
        for i in $(seq "${cleanup_polls:-60}"); do
            all_gone "${started[@]}" && break
            sleep 0.05
        done
        if ! all_gone "${started[@]}"; then
            kill -KILL "${started[@]}" 2>/dev/null
            for i in $(seq 30); do
                alive=$(marked_pids "BENCH_RUN=$RUN_ID" | while read -r p; do
                    grep -qsaF guardian.sh "/proc/$p/cmdline" && echo "$p"
                done)
                [ -z "$alive" ] && break
                sleep 0.05
            done
        fi
    fi
    for i in 1 2 3; do
        alive=$(marked_pids "BENCH_RUN=$RUN_ID")
        [ -z "$alive" ] && break
        # shellcheck disable=SC2086
        kill -KILL $alive 2>/dev/null
        sleep 0.05
    done
    wait 2>/dev/null
    exec {never_fd}<&-
    if [ -z "${BENCH_ROWS:-}" ] && [ -s "$ROWS" ]; then
        print_table "$ROWS"
        [ -s "$NOTES" ] && { echo; cat "$NOTES"; }
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'echo "${0##*/}: interrupted, cleaning up" >&2; on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

SNAPSHOT_INFO="in place: scripts/supervisor and the jars under supervisor/target and test-tasks/target"
if [ -n "${BENCH_SNAPSHOT:-}" ]; then
    SUP=$BENCH_SNAPSHOT/bin/supervisor
    TASKS=$BENCH_SNAPSHOT/test-tasks.jar
elif [ "$IN_PLACE" = 0 ]; then
    echo "[${0##*/}] taking a snapshot of the build (use --in-place to measure the tree itself)" >&2
    if ! take_snapshot "$TMP/snapshot"; then
        echo "benchmarks: could not take a working snapshot of the build (see $TMP/snapshot/cds-training.log); is it built?" >&2
        exit 2
    fi
    SUP=$TMP/snapshot/bin/supervisor
    TASKS=$TMP/snapshot/test-tasks.jar
fi

progress() { echo "[${0##*/}] $*" >&2; }

is_zombie() {
    local st
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${st##*) }
    [ "${st%% *}" = Z ]
}

# fmt_fixed VALUE SCALE_DIGITS [SHOWN_DIGITS]: 12345 3 -> 12.345; 12345 3 2 -> 12.35 (rounded).
fmt_fixed() {
    local v=$1 scale=$2 shown=${3:-$2} sign=
    if [ "$v" -lt 0 ]; then sign=-; v=$((-v)); fi
    local drop=$((scale - shown)) div=1 i
    for ((i = 0; i < drop; i++)); do div=$((div * 10)); done
    v=$(((v + div / 2) / div))
    if [ "$shown" -eq 0 ]; then echo "$sign$v"; return; fi
    local unit=1
    for ((i = 0; i < shown; i++)); do unit=$((unit * 10)); done
    printf '%s%d.%0*d\n' "$sign" $((v / unit)) "$shown" $((v % unit))
}
fmt_ms() { fmt_fixed "$1" 3 1; }        # microseconds -> "35.2"
fmt_ratio() { fmt_fixed "$1" 3 2; }     # thousandths -> "1.05"
ratio_milli() { echo $((($1 * 1000 + $2 / 2) / $2)); }

# median N... : integer median (mean of the two middle values for an even count).
median() {
    local -a s
    mapfile -t s < <(printf '%s\n' "$@" | sort -n)
    local n=${#s[@]}
    if ((n == 0)); then echo 0; elif ((n % 2)); then echo "${s[n / 2]}"; else echo $(((s[n / 2 - 1] + s[n / 2]) / 2)); fi
}
minimum() { printf '%s\n' "$@" | sort -n | head -n1; }
maximum() { printf '%s\n' "$@" | sort -n | tail -n1; }

# row NAME MEASURED BUDGET VERDICT DETAILS: one line of the results table.
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"; }
note() { printf '%s\n' "$@" >>"$NOTES"; }

print_table() {
    echo "| row | measured | budget | verdict | details |"
    echo "|---|---|---|---|---|"
    local name measured budget verdict details
    while IFS=$'\t' read -r name measured budget verdict details; do
        echo "| $name | $measured | $budget | $verdict | $details |"
    done <"$1"
}

# run_variant VARIANT TASK-ARGS...: one run of test-tasks.jar, marked, stdin from /dev/null.
#   plain       java -jar test-tasks.jar ARGS
#   sup         scripts/supervisor run test-tasks.jar -- ARGS           (default: auto, a cgroup here)
#   sup-tree    the same with SUPERVISOR_TERMINATION=tree (subreaper, so JNA, before the spawn)
#   timeout     timeout 30s java -jar test-tasks.jar ARGS               (GNU coreutils)
run_variant() {
    local v=$1
    shift
    case $v in
        plain) BENCH_RUN=$RUN_ID "$JAVA" -jar "$TASKS" "$@" </dev/null ;;
        sup) BENCH_RUN=$RUN_ID "$SUP" run "$TASKS" -- "$@" </dev/null ;;
        sup-tree) BENCH_RUN=$RUN_ID SUPERVISOR_TERMINATION=tree "$SUP" run "$TASKS" -- "$@" </dev/null ;;
        sup-taskjvm) BENCH_RUN=$RUN_ID SUPERVISOR_JVM=java "$SUP" run "$TASKS" -- "$@" </dev/null ;;
        timeout) BENCH_RUN=$RUN_ID timeout 30s "$JAVA" -jar "$TASKS" "$@" </dev/null ;;
        *) echo "run_variant: unknown variant $v" >&2; return 2 ;;
    esac
}

# wait_for_line FILE TEXT TIMEOUT_MS: true once FILE contains a line TEXT.
wait_for_line() {
    local waited=0
    while ! grep -qxF -- "$2" "$1" 2>/dev/null; do
        ((waited >= $3)) && return 1
        sleep_ms 10
        waited=$((waited + 10))
    done
}

# rss_kib PID FIELD: VmRSS or VmHWM of PID in KiB ("" if unreadable).
status_kib() {
    local key value unit
    while read -r key value unit; do
        if [ "$key" = "$2:" ]; then echo "$value"; return 0; fi
    done <"/proc/$1/status" 2>/dev/null
    echo ""
}
fmt_mib() { fmt_fixed $(($1 * 1000 / 1024)) 3 1; } # KiB -> MiB with one decimal

# leaked_leaves: cgroup leaves named after supervisors this script started that still exist.
leaked_leaves() {
    local p d
    for p in "${started[@]}"; do
        for d in /sys/fs/cgroup/unified/supervisor-"$p"-* /sys/fs/cgroup/supervisor-"$p"-*; do
            [ -e "$d" ] && echo "$d"
        done
    done
}

# comm_of PID: the command name in /proc/PID/stat (also for zombies).
comm_of() {
    local st
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${st#*(}
    echo "${st%)*}"
}

# make_trace_wrapper: writes benchmarks/target/trace-jdk/bin/java, a bash wrapper around $JAVA that
# appends to $BENCH_TRACE_LOG when a JVM is exec'ed ("supervisor-exec" or "task-exec", epoch us)
# and, for a task JVM (which it runs as a child rather than exec'ing), "task-exit". It costs one
# bash start-up per JVM. Use it as JAVA_HOME (the launcher's java) and as --java (the task's).
make_trace_wrapper() {
    wrapper_home=$TARGET/trace-jdk
    mkdir -p "$wrapper_home/bin"
    cat >"$wrapper_home/bin/java" <<EOF
#!/usr/bin/env bash
# Generated by benchmarks/lib.sh: notes when a JVM is exec'ed, and when a task JVM ends.
t=\$EPOCHREALTIME
case " \$* " in
    *" supervisor.cli.Main "*)
        echo "supervisor-exec \${t//[.,]/}" >>"\$BENCH_TRACE_LOG"
        exec "$JAVA" "\$@" ;;
esac
echo "task-exec \${t//[.,]/}" >>"\$BENCH_TRACE_LOG"
"$JAVA" "\$@"
s=\$?
t=\$EPOCHREALTIME
echo "task-exit \${t//[.,]/}" >>"\$BENCH_TRACE_LOG"
exit \$s
EOF
    chmod +x "$wrapper_home/bin/java"
}

# event LOG NAME: the time of event NAME ("NAME MICROS" lines) in LOG ("" if absent).
event() {
    local name t
    while read -r name t; do
        if [ "$name" = "$2" ]; then echo "$t"; return; fi
    done <"$1"
}

# cpu_time_ms PID: user+system CPU time PID has used so far, in ms (fields 14 and 15 of stat).
cpu_time_ms() {
    local st hz
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${st##*) }
    # shellcheck disable=SC2086
    set -- $st
    hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
    echo $(((${12} + ${13}) * 1000 / hz))
}

# supervisor_jvm: which JVM the launcher runs the supervisor on, and with what start-up help.
supervisor_jvm() {
    local home=${SUP%/bin/supervisor}/lib recorded=
    [ -f "$home/supervisor.jar" ] || home=$repo/supervisor/target
    if [ -n "${SUPERVISOR_JVM:-}" ]; then
        echo "SUPERVISOR_JVM=$SUPERVISOR_JVM (set by the caller)"
    elif [ -f "$home/supervisor.aot" ] && [ -f "$home/supervisor.jvm" ] && read -r recorded <"$home/supervisor.jvm" && [ -x "$recorded" ]; then
        echo "$recorded with the AOT cache made at build time (tasks: $JAVA)"
    else
        echo "the task's java ($JAVA) with the AppCDS archive (no JDK 25 or later found at build time)"
    fi
}
