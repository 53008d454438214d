# shellcheck shell=bash
# Sourced by run-all: each row of a run against the baseline committed in benchmarks/baseline.tsv,
# and (run-all --save-baseline) the writing of that file. Bash only, like lib.sh: values are kept
# as integers in thousandths.
#
# baseline.tsv: '#' lines are comments; one row a line, tab-separated:
#   row  value  unit  better  noise%  date  commit  machine
# "better" is "lower" or "higher"; "noise%" is how far the row may move, either way, before a
# change counts (edit it by hand for a row you know better). A row is compared by its exact name.

# bl_value MEASURED: the first number of a measured cell in thousandths ("43.5 ms" -> 43500,
# "1.18x" -> 1180, "41.2 / 41.2 MiB" -> 41200, "26109" -> 26109000); fails when there is none.
bl_value() {
    local re='^[^0-9]*([0-9]+)(\.([0-9]+))?'
    [[ $1 =~ $re ]] || return 1
    local frac=${BASH_REMATCH[3]}000
    echo $((10#${BASH_REMATCH[1]} * 1000 + 10#${frac:0:3}))
}

# bl_trim THOUSANDTHS: as a decimal without trailing zeros (43500 -> 43.5, 26109000 -> 26109).
bl_trim() {
    local s
    s=$(fmt_fixed "$1" 3 3)
    while [[ $s == *.*0 ]]; do s=${s%0}; done
    echo "${s%.}"
}

# bl_unit MEASURED: the word the cell ends with ("ms", "x", "MiB", "us"), or "-".
bl_unit() {
    local re='([A-Za-z%/]+)[[:space:]]*$'
    if [[ $1 =~ $re ]]; then echo "${BASH_REMATCH[1]}"; else echo -; fi
}

# bl_better NAME BUDGET: "higher" for a floor (">= 0.95x") or a throughput, else "lower".
bl_better() {
    case $2 in
        ">="*) echo higher; return ;;
        "<="*) echo lower; return ;;
    esac
    case $1 in
        *throughput*|*calls/s*) echo higher ;;
        *) echo lower ;;
    esac
}

# bl_noise VALUE DETAILS: the row's noise in thousandths of its value: half the spread of the
# first range "A-B" its details give (the runs behind its median), at least 5% and at most 25%
# (a row that spreads wider cannot tell a regression from a busy machine anyway); 10% when the
# details give no range.
bl_noise() {
    local re='([0-9]+\.[0-9]+)-([0-9]+\.[0-9]+)' lo hi n
    if ((${1} > 0)) && [[ $2 =~ $re ]]; then
        lo=$(bl_value "${BASH_REMATCH[1]}") hi=$(bl_value "${BASH_REMATCH[2]}")
        n=$(((hi - lo) * 1000 / 2 / $1))
        ((n < 50)) && n=50
        ((n > 250)) && n=250
        echo "$n"
    else
        echo 100
    fi
}

# bl_pool_rows TABLE: the numeric rows of pool.sh's printed table, as run-all's rows
# (name, measured, budget, verdict, details), Python's own time left out. Its lines are "LABEL  MEASURED  [BASELINE RATIO]  BUDGET"
# with LABEL padded to 44 columns; a line that does not parse is left out (pool.sh changes).
bl_pool_rows() {
    local line i label measured rest
    local after='^ +([0-9][0-9.]*[A-Za-z/]*)( .*)?$'
    while IFS= read -r line; do
        # The label ends where the first number after column 44 begins (labels hold numbers too).
        for ((i = 44; i < ${#line}; i++)); do
            [[ ${line:i} =~ $after ]] && break
        done
        ((i < ${#line})) || continue
        label=${line:0:i} measured=${BASH_REMATCH[1]} rest=${BASH_REMATCH[2]}
        label=${label%"${label##*[! ]}"}
        case $label in *Python*) continue ;; esac # measures Python, not the supervisor
        # The budget there bounds a ratio, not this value: the value's direction comes from its name.
        printf 'pool: %s\t%s\t-\t-\t%s\n' "$label" "$measured" "${rest# }"
    done <"$1"
}

# bl_save ROWS FILE COMMIT MACHINE: writes the baseline from a run's rows.
bl_save() {
    local name measured budget verdict details v
    {
        echo "# The baseline of benchmarks/run-all: one row a line, tab-separated:"
        echo "# row	value	unit	better	noise%	date	commit	machine"
        echo "# Written by: benchmarks/run-all --save-baseline (see docs/performance.md, \"Baseline\")."
        while IFS=$'\t' read -r name measured budget verdict details; do
            v=$(bl_value "$measured") || continue
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(bl_trim "$v")" "$(bl_unit "$measured")" \
                "$(bl_better "$name" "$budget")" "$(fmt_fixed "$(bl_noise "$v" "$details")" 1 1)" \
                "$(date -u +%Y-%m-%d)" "$3" "$4"
        done <"$1"
    } >"$2"
}

# bl_compare ROWS FILE: a table of each row against the baseline: now, then, the change in %, and
# a marker where the row moved by more than its noise ("WORSE" or "better").
bl_compare() {
    local -A base_v=() base_b=() base_n=() base_u=()
    local name v u b n d c m measured budget verdict details now change mark when=
    while IFS=$'\t' read -r name v u b n d c m; do
        [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
        base_v[$name]=$(bl_value "$v") base_u[$name]=$u base_b[$name]=$b
        base_n[$name]=$(bl_value "$n") # percent in thousandths = permille * 10
        [ -z "$when" ] && when="$d, commit $c, $m"
    done <"$2"
    echo "Baseline: ${when:-empty}."
    echo
    echo "| row | now | baseline | change | |"
    echo "|---|---|---|---|---|"
    while IFS=$'\t' read -r name measured budget verdict details; do
        now=$(bl_value "$measured") || continue
        if [ -z "${base_v[$name]:-}" ]; then
            echo "| $name | $measured | - | - | new row |"
            continue
        fi
        v=${base_v[$name]}
        if ((v == 0)); then
            echo "| $name | $measured | 0 ${base_u[$name]} | - | |"
            continue
        fi
        change=$(((now - v) * 1000 / v)) # permille
        mark= pct=$(fmt_fixed "$change" 1 1)
        ((change > 0)) && pct=+$pct
        # base_n is the noise in thousandths of a percent: change/10 % > base_n/1000 %
        if ((change * 100 > base_n[$name] || -change * 100 > base_n[$name])); then
            if { [ "${base_b[$name]}" = lower ] && ((change > 0)); } || { [ "${base_b[$name]}" = higher ] && ((change < 0)); }; then
                mark="WORSE (noise $(fmt_fixed "${base_n[$name]}" 3 1)%)"
            else
                mark=better
            fi
        fi
        u=${base_u[$name]}
        [ "$u" = - ] && u=
        echo "| $name | $measured | $(bl_trim "$v")${u:+ $u} | $pct% | $mark |"
    done <"$1"
}
