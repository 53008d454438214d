# supervisor guardian. Usage: guardian.sh TASK_PID TASK_START MARKER [prefix]
#   TASK_START may be ""; with "prefix" (TASK_PID and TASK_START ""), every process whose
#   SUPERVISOR_TASK starts with MARKER. is killed: one guardian for many tasks.
#
# Holds the read end of a pipe whose only writer is the supervisor, which may send these lines:
#   leaf PATH   the task's cgroup leaf, to kill and remove
#   done        the supervisor finished normally: leave without doing anything
# If the supervisor finishes normally it writes "done" and this script exits. If the supervisor dies any other way (SIGKILL,
# OOM killer, crash), the pipe reaches EOF and this script kills what the supervisor was
# supervising: the task's cgroup leaf, its process group, and every process carrying its marker.
# It runs as a separate, tiny process because a SIGKILLed supervisor runs no code at all.
trap '' INT HUP TERM QUIT PIPE
pid=$1 start=$2 marker=$3 mode=${4:-exact} leaf=

starttime() { # field 22 of /proc/PID/stat; the fields after comm start after its last ')'
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    set -- $s
    eval echo "\${20}"
}
[ -z "$pid" ] || [ -n "$start" ] || start=$(starttime "$pid") || start=

while IFS=' ' read -r word arg; do
    case $word in
        done) exit 0 ;;
        leaf) leaf=$arg ;;
    esac
done

if [ -n "$leaf" ] && [ -e "$leaf/cgroup.kill" ]; then
    echo 1 > "$leaf/cgroup.kill" 2>/dev/null
fi
round=0
while [ $round -lt 20 ]; do
    found=
    # The task leads its process group; the group id stays ours while any member lives. Skip it
    # only if the pid is alive as a different process (pid reused: not ours to touch).
    if [ -n "$pid" ]; then
        now=$(starttime "$pid") || now=$start
        if [ "$now" = "$start" ] && kill -KILL -- "-$pid" 2>/dev/null; then found=1; fi
    fi
    if [ "$mode" = prefix ]; then
        files=$(grep -lzF "SUPERVISOR_TASK=$marker." /proc/[0-9]*/environ 2>/dev/null)
    else
        files=$(grep -lzxF "SUPERVISOR_TASK=$marker" /proc/[0-9]*/environ 2>/dev/null)
    fi
    for f in $files; do
        p=${f#/proc/}
        kill -KILL "${p%/environ}" 2>/dev/null && found=1
    done
    [ -n "$found" ] || break
    round=$((round + 1))
done
if [ -n "$leaf" ]; then
    for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$leaf" 2>/dev/null && break; sleep 0.1; done
fi
exit 0
