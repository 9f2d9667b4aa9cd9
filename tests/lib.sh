#!/bin/bash
# Shared helpers for the shell test suites (fstests/blktests style).
#
# A suite sources this file, calls suite_begin NAME, runs its cases with
# run_case NAME FUNCTION, and ends with suite_end.  A case function returns
# 0 (pass), 1 (fail), or calls _skip "reason" (exit code 77) when a
# capability is missing.  Counts land in build/test-counts/NAME for
# tests/summarize.

SUITE_NAME=""
SUITE_PASSED=0
SUITE_FAILED=0
SUITE_SKIPPED=0
TOP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TOP_DIR
# The wac binary and unit tests the suites run: `make check SAN=1` points
# them at the ASan+UBSan build in build/san.
WAC_BIN=${WAC_TEST_BIN:-$TOP_DIR/wac/wac}
WAC_UNIT_BIN=${WAC_TEST_UNIT:-$TOP_DIR/wac/tests/test_unit}
export WAC_BIN WAC_UNIT_BIN

suite_begin() {
	SUITE_NAME=$1
	echo "== $SUITE_NAME${WAC_TEST_BIN:+ (wac: $WAC_TEST_BIN)}"
}

# _skip REASON: stop the current case, counting it as skipped.
_skip() {
	echo "    skip reason: $*"
	exit 77
}

_require_root() {
	[ "$(id -u)" -eq 0 ] || _skip "needs root"
}

_require_cmd() {
	local cmd
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || _skip "command $cmd not found"
	done
}

# _fail MESSAGE: explain a failed assertion and fail the case.
_fail() {
	echo "    FAIL: $*"
	return 1
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" == "$3" ] || _fail "$1: expected '$2', got '$3'"
}

# assert_ge WHAT MIN ACTUAL
assert_ge() {
	[ "$3" -ge "$2" ] 2>/dev/null || _fail "$1: expected >= $2, got '$3'"
}

# run_case NAME FUNCTION [ARGS...]: run one case in a subshell so that an
# exit or a failed assertion cannot take the suite down.  TEST_CASES="glob
# ..." in the environment runs only the cases whose names match.
run_case() {
	local name=$1 rc pat pats
	shift
	if [ -n "${TEST_CASES:-}" ]; then
		read -ra pats <<<"$TEST_CASES"
		for pat in "${pats[@]}"; do
			# shellcheck disable=SC2053
			[[ $name == $pat ]] && break
			pat=
		done
		[ -n "$pat" ] || return 0
	fi
	local start=$SECONDS
	set +e
	("$@")
	rc=$?
	set -e
	local took=$((SECONDS - start))
	case $rc in
	0) echo "  ok   $name (${took}s)"; SUITE_PASSED=$((SUITE_PASSED + 1)) ;;
	77) echo "  skip $name"; SUITE_SKIPPED=$((SUITE_SKIPPED + 1)) ;;
	*) echo "  FAIL $name (${took}s, rc=$rc)"; SUITE_FAILED=$((SUITE_FAILED + 1)) ;;
	esac
}

suite_end() {
	mkdir -p "$TOP_DIR/build/test-counts"
	echo "$SUITE_PASSED $SUITE_FAILED $SUITE_SKIPPED" \
		>"$TOP_DIR/build/test-counts/$SUITE_NAME"
	echo "$SUITE_NAME: $SUITE_PASSED passed, $SUITE_FAILED failed, $SUITE_SKIPPED skipped"
	[ "$SUITE_FAILED" -eq 0 ]
}
