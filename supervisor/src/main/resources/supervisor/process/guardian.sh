# supervisor guardian: cleans up after a supervisor JVM that died without running another line
# (SIGKILL, the OOM killer, a crash). One per supervisor JVM, shared by all its tasks.
#
# Its standard input is a pipe whose only writer is the supervisor. The kernel closes that pipe
# when the supervisor dies, however it dies. Lines the supervisor writes, each recorded until
# dropped ("ID" is the supervisor's number for one supervised process):
#   ID task PID START MARKER  a process tree: the group PID leads (if PID still started at START)
#                             and every process whose environment holds SUPERVISOR_TASK=MARKER
#   ID cgroup PATH            a cgroup directory (v1 or v2): kill what is in it, then remove it
#   ID dir PATH               a directory to remove with everything in it
#   drop ID                   forget ID: its process was stopped and cleaned up normally
#   done                      the supervisor has finished normally: leave
# At EOF without "done", everything still recorded is killed and removed.
#
# The supervisor starts it in a session of its own, so a signal to the supervisor's process group
# or session does not reach it; it ignores the signals a terminal or a shell sends.
trap '' INT HUP TERM QUIT PIPE
# In its own session now (setsid has run): the supervisor waits for this before relying on it.
# If nobody reads it, the supervisor has gone already (a usage error ended it): nothing to guard.
echo ready 2>/dev/null || exit 0
nl='
'
entries=

while IFS= read -r line; do
    case $line in
        done) exit 0 ;;
        "drop "*)
            id=${line#drop } kept=
            while IFS= read -r e; do
                case $e in "$id "*|"") ;; *) kept=$kept$e$nl ;; esac
            done <<END
$entries
END
            entries=$kept ;;
        *) entries=$entries$line$nl ;;
    esac
done

# The supervisor is gone. Sets now to field 22 of /proc/PID/stat (the fields after comm start
# after its last ')'); no subshell: a worker that sees its stdin end exits within milliseconds.
starttime() {
    { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1
    s=${s##*) }
    set -- $s
    eval "now=\${20}"
}

# A task's descendants that left its group and environment (setsid, env -i) and were orphaned are
# reparented to the nearest subreaper: a pool worker on the tree mechanism is one, so they are
# still in its tree, but only while it lives, and it halts once its stdin (from the supervisor)
# ends. So the task's group is stopped first (a stopped worker cannot exit), then its tree is
# walked through /proc/PID/task/*/children, stopping each process found (none forks or exits
# meanwhile), and walked again until a walk finds no new one (at most 10). Adds them to $stopped.
# sh has no local variables: every name set here is the caller's too, and must not be one the
# loop below still needs (it reads each entry's fields into id, kind, a, b and marker).
stop_tree() { # $1 a pid that is still the recorded task
    kill -STOP "-$1" 2>/dev/null # no "--": dash's kill takes it for a pid ("Illegal number")
    walks=0 more=1
    while [ -n "$more" ] && [ $walks -lt 10 ]; do
        more= level=$1 walks=$((walks + 1))
        while [ -n "$level" ]; do
            next=
            for p in $level; do
                for children in /proc/"$p"/task/*/children; do
                    kids=
                    { read -r kids < "$children"; } 2>/dev/null # no newline at its end: read fails, kids is set
                    for k in $kids; do
                        case " $stopped " in
                            *" $k "*) ;;
                            *) kill -STOP "$k" 2>/dev/null; stopped="$stopped $k" more=1 ;;
                        esac
                        next="$next $k"
                    done
                done
            done
            level=$next
        done
    done
}

kill_cgroup() { # $1: a cgroup directory
    [ -d "$1" ] || return 1
    if [ -e "$1/cgroup.kill" ]; then
        echo 1 > "$1/cgroup.kill" 2>/dev/null
    fi
    hit=
    while read -r p; do kill -KILL "$p" 2>/dev/null && hit=1; done < "$1/cgroup.procs"
    [ -n "$hit" ]
}

# A directory's removal never crosses a mount point inside it: a task (as root) may bind-mount any
# directory into its own, and rm -rf would empty it. GNU rm's --one-file-system compares st_dev
# only, and a bind mount of a directory of the same filesystem has the same one (tried: it emptied
# the bind-mounted directory); so the mount points come from /proc/self/mountinfo, whose field 5
# writes a space, tab, newline and backslash as \ooo. Without one inside, rm -rf: GNU rm works
# relative to open directories, so no depth is too deep for it (2,100 levels tried).
tab='	'
esc() { # $1 as mountinfo writes it
    s=$1 r=
    while [ -n "$s" ]; do
        rest=${s#?} c=${s%"$rest"} s=$rest
        case $c in
            ' ') r="$r\\040" ;; "$tab") r="$r\\011" ;; "$nl") r="$r\\012" ;; '\') r="$r\\134" ;; *) r=$r$c ;;
        esac
    done
    printf '%s' "$r"
}

prune() { # $1 a directory with a mount point somewhere under it, $2 its esc: removes the rest
    for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        ef=$2/$(esc "${f##*/}")
        case $nl$inside$nl in
            *"$nl$ef$nl"*) ;; # a mount point: left
            *"$nl$ef/"*) [ -L "$f" ] || (prune "$f" "$ef"); rmdir -- "$f" 2>/dev/null ;;
            *) rm -rf -- "$f" ;;
        esac
    done
}

remove() { # $1 a directory (or file) the supervisor made
    e=$(esc "$1") inside=
    while read -r _ _ _ _ m _; do
        case $m in "$e"|"$e"/*) inside=$inside$m$nl ;; esac
    done < /proc/self/mountinfo
    if [ -z "$inside" ]; then
        rm -rf -- "$1"
        return
    fi
    inside=${inside%"$nl"}
    case $nl$inside$nl in
        *"$nl$e$nl"*) echo "supervisor: left $e in place: it is a mount point" >&2; return ;;
    esac
    prune "$1" "$e"
    rmdir -- "$1" 2>/dev/null || echo "supervisor: left $e in place: a mount point is inside it (${inside%%"$nl"*})" >&2
}

round=0
while [ $round -lt 20 ]; do
    found=
    markers=
    while IFS=' ' read -r id kind a b marker; do
        case $kind in
            cgroup) kill_cgroup "$a" && found=1 ;;
            task)
                # The task leads its process group; the group id stays its own while any member
                # lives. Skipped if the pid is alive as a different process (reused: not ours).
                # Its hidden descendants are stopped before the group is killed (stop_tree).
                starttime "$a" || now=$b
                stopped=
                [ "$now" = "$b" ] && stop_tree "$a"
                if [ "$now" = "$b" ] && kill -KILL "-$a" 2>/dev/null; then found=1; fi
                if [ -n "$stopped" ] && kill -KILL $stopped 2>/dev/null; then found=1; fi
                markers="$markers -e SUPERVISOR_TASK=$marker" ;;
        esac
    done <<END
$entries
END
    if [ -n "$markers" ]; then
        for f in $(grep -lzxF $markers /proc/[0-9]*/environ 2>/dev/null); do
            p=${f#/proc/}
            kill -KILL "${p%/environ}" 2>/dev/null && found=1
        done
    fi
    [ -n "$found" ] || break
    round=$((round + 1))
done

while IFS=' ' read -r id kind path; do
    case $kind in
        cgroup) for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$path" 2>/dev/null && break; [ -d "$path" ] || break; sleep 0.1; done ;;
        dir) remove "$path" ;;
    esac
done <<END
$entries
END
exit 0
