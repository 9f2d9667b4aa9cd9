#!/bin/bash
# Scenario files (sourced, not run): the parser is scenario.py (format in
# scenarios/README.md); here the kernel-range rules applied per kernel.

# parse_scenario FILE [CELL]: the SCN_* shell assignments of FILE's only
# cell, or of the cell named CELL of a matrix; "FILE:LINE: message" on
# stderr and failure when malformed.  The format lives in scenario.py.
parse_scenario() {
	python3 "$HARNESS_DIR/lib/scenario.py" env --wac "$SUITE_DIR/wac/wac" \
		${2:+--cell "$2"} "$1"
}

# version_cmp A B: print -1, 0 or 1 comparing dotted versions (missing
# parts count as 0).
version_cmp() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		na = split(a, x, "."); nb = split(b, y, ".")
		for (i = 1; i <= 3; i++) { p = (i <= na) ? x[i] + 0 : 0; r = (i <= nb) ? y[i] + 0 : 0
			if (p < r) { print -1; exit } if (p > r) { print 1; exit } }
		print 0 }'
}

# kernel_version RELEASE: 6.1.0-27-amd64 -> 6.1.0, 7.2.13+deb14-amd64 -> 7.2.13.
kernel_version() {
	echo "$1" | sed -E 's/^([0-9]+(\.[0-9]+){1,2}).*/\1/'
}

# range_matches RANGE VERSION: does the kernel VERSION fall in RANGE?
range_matches() {
	local range=$1 ver=$2 cond op want c
	IFS=',' read -ra conds <<<"$range"
	for cond in "${conds[@]}"; do
		cond=${cond// /}
		op=${cond%%[0-9]*}
		want=${cond#"$op"}
		case $op in
		"" | "=")
			# =6.1 matches the 6.1 series.
			case $ver. in "$want".*) ;; *) return 1 ;; esac
			continue
			;;
		esac
		c=$(version_cmp "$ver" "$want")
		case $op in
		"<") [ "$c" -lt 0 ] || return 1 ;;
		"<=") [ "$c" -le 0 ] || return 1 ;;
		">") [ "$c" -gt 0 ] || return 1 ;;
		">=") [ "$c" -ge 0 ] || return 1 ;;
		esac
	done
	return 0
}

# expected_for RULES DEFAULT RELEASE: the expectation that applies to a
# kernel: the first matching expect[RANGE], else the plain expect.
expected_for() {
	local rules=$1 default=$2 ver rule
	ver=$(kernel_version "$3")
	IFS=';' read -ra rs <<<"$rules"
	for rule in "${rs[@]}"; do
		[ -n "$rule" ] || continue
		if range_matches "${rule%%|*}" "$ver"; then
			echo "${rule#*|}"
			return 0
		fi
	done
	echo "$default"
}
