#!/bin/bash
# Guest side of the VM backend, started by /init with the 9p share mounted:
# run the scenario the host put in the share, leave the status beside it.
set -euo pipefail

SHARE=$1
MEMOUT=/tmp/out
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export TMPDIR=/tmp

# A guest-side watchdog: shortly before the host's deadline, log blocked
# tasks (sysrq w), every task (t) and every CPU (l), so the serial log
# shows where things are stuck and who may hold what they wait for.
start_watchdog() {
	local after=$1
	(
		sleep "$after"
		echo "wac-guest: watchdog: scenario still running after ${after}s, sysrq w, t, l"
		echo w >/proc/sysrq-trigger
		echo t >/proc/sysrq-trigger
		echo l >/proc/sysrq-trigger
		echo "wac-guest: task dump end"
	) &
}

# shellcheck source=stream.sh
. "$SHARE/guest/stream.sh"

main() {
	local rc=0
	# shellcheck disable=SC1091
	. "$SHARE/scenario.env"
	start_watchdog "$((SCN_TIMEOUT > 20 ? SCN_TIMEOUT - 10 : SCN_TIMEOUT))"
	echo "wac-guest: kernel $(uname -r), scenario $SCN_NAME"
	# results live in guest memory and leave through the results channel
	# first, then the share: a stuck 9p share cannot take them down
	bash "$SHARE/guest/scenario.sh" "$SHARE/scenario.env" "$MEMOUT" "$SHARE/bin/wac" || rc=$?
	echo "$rc" >"$MEMOUT/exit"
	stream_out "$MEMOUT"/*
	cp -a "$MEMOUT"/. "$SHARE/out/"
	echo "wac-guest: scenario exit $rc"
	sync
}

main
