#!/bin/bash
# Shared paths and small helpers for the harness scripts (sourced, not run).

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SUITE_DIR=$(cd "$HARNESS_DIR/.." && pwd)
WAC_CACHE=${WAC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wac-suite}
KERNEL_CACHE=$WAC_CACHE/kernels
export HARNESS_DIR SUITE_DIR WAC_CACHE KERNEL_CACHE

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

warn() {
	echo "${0##*/}: $*" >&2
}

# info MESSAGE: progress chatter on stderr, silenced by WAC_QUIET=1.
info() {
	[ "${WAC_QUIET:-0}" = 1 ] || echo "${0##*/}: $*" >&2
}

# now_s: seconds since the epoch with milliseconds, for wall times.
now_s() {
	date +%s.%N | cut -c1-14
}

# elapsed_s START: seconds since START (from now_s), two decimals.
elapsed_s() {
	awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }'
}
