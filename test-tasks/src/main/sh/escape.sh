#!/bin/sh
# A hostile task: tries one escape from its sandbox and says what happened, on stdout, in one
# line: "held: WHY" (exit 0) or "ESCAPED: WHAT" (exit 1). Used by the sandbox tests for
# `supervisor run` and pool workers. Usage: escape.sh ESCAPE [ARG]
#   read FILE         read a file only root may read
#   write DIR         create a file in DIR (outside the allowed paths)
#   connect PORT      connect to a listener on the host's 127.0.0.1:PORT (bash's /dev/tcp)
#   see PID           see the host's process PID in /proc, signal it (kill -0), count processes
#   setuid PROGRAM    run a setuid-root copy of id: euid 0 is an escape
#   filecap PROGRAM FILE
#                     read FILE through a copy of cat with cap_dac_override+ep
#   fork N [SECONDS]  start N children sleeping SECONDS (30), saying each: more than the limit
#                     is an escape
#   writable          write the working directory and TMPDIR (what a task must still do)
#   leave             leave a setsid'ed double-forked sleep behind, then exit 0
what=$1; shift
held() { echo "held: $*"; exit 0; }
escaped() { echo "ESCAPED: $*"; exit 1; }
case $what in
read)
    if out=$(cat "$1" 2>&1); then escaped "read $1: $out"; else held "read $1: $out"; fi ;;
write)
    f="$1/escape-$$"
    if out=$( { : > "$f"; } 2>&1); then rm -f "$f"; escaped "created $f"; else held "create $f: $out"; fi ;;
connect)
    if bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; then escaped "connected to 127.0.0.1:$1"
    else held "cannot connect to 127.0.0.1:$1"; fi ;;
see)
    set -- "$1" /proc/[0-9]*; n=$(($# - 1)) # no process of its own to count them
    if [ -e "/proc/$1" ]; then escaped "sees /proc/$1 ($n processes in /proc)"; fi
    if kill -0 "$1" 2>/dev/null; then escaped "can signal pid $1"; fi
    held "no pid $1 in sight, $n processes in /proc" ;;
setuid)
    euid=$("$1" -u 2>&1)
    if [ "$euid" = 0 ]; then escaped "euid 0 through $1"; else held "euid $euid through $1 (uid $(id -u))"; fi ;;
filecap)
    if out=$("$1" "$2" 2>&1); then escaped "read $2 through $1"; else held "$out"; fi ;;
fork)
    # dash ends when a fork fails ("Cannot fork"): the last line says how far it got.
    i=0
    while [ $i -lt "$1" ]; do
        sleep "${2:-30}" >/dev/null 2>&1 &
        i=$((i + 1))
        echo "forked $i"
    done
    echo "forked all $1"
    exit 0 ;;
writable)
    echo x > ./escape-workdir && echo x > "${TMPDIR:-/tmp}/escape-tmp" && cat ./escape-workdir "${TMPDIR:-/tmp}/escape-tmp" >/dev/null \
        && { echo "wrote the working directory $(pwd) and TMPDIR ${TMPDIR:-/tmp}"; exit 0; }
    echo "cannot write the working directory or TMPDIR"; exit 2 ;;
leave)
    setsid sh -c 'sleep 1000 & exit 0' </dev/null >/dev/null 2>&1 &
    echo "left a setsid'ed sleep behind"
    exit 0 ;;
*)
    echo "escape.sh: unknown escape '$what'" >&2; exit 2 ;;
esac
