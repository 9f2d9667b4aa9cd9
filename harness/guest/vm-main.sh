#!/bin/bash
# Guest side of the VM backend, started by /init with the 9p share mounted:
# run the scenarios the host put in the share (scenarios/NNNN.env, a batch
# sharing this boot), in order, each from fresh devices; leave each one's
# results in out/NNNN.  A scenario that taints the kernel ends the batch:
# the host runs the rest in a fresh VM (harness/lib/batch.sh).
set -euo pipefail

SHARE=$1
MEMOUT=/tmp/out
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export TMPDIR=/tmp

# start_watchdog SECONDS: shortly before the host's deadline, log blocked
# tasks (sysrq w), every task (t) and every CPU (l), so the serial log
# shows where things are stuck and who may hold what they wait for.
start_watchdog() {
	local after=$1
	(
		sleep "$after"
		console_mark "wac-guest: watchdog: scenario still running after ${after}s, sysrq w, t, l"
		echo w >/proc/sysrq-trigger
		echo t >/proc/sysrq-trigger
		echo l >/proc/sysrq-trigger
		console_mark "wac-guest: task dump end"
	) &
	WATCHDOG=$!
}

# shellcheck source=stream.sh
. "$SHARE/guest/stream.sh"

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# run_item ENV: one scenario; its results live in guest memory and leave
# through the results channel first, then the share: a stuck 9p share
# cannot take them down.
run_item() {
	local env=$1 n rc=0 timeout name
	n=$(basename "$env" .env)
	timeout=$(sed -n "s/^SCN_TIMEOUT='\([0-9]*\)'$/\1/p" "$env")
	name=$(sed -n "s/^SCN_NAME='\(.*\)'$/\1/p" "$env")
	mkdir -p "$MEMOUT/$n"
	console_mark "wac-guest: item $n begin at $(uptime_s): $name"
	start_watchdog "$((timeout > 20 ? timeout - 10 : timeout))"
	STREAM_PREFIX="$n/" bash "$SHARE/guest/scenario.sh" "$env" "$MEMOUT/$n" "$SHARE/bin/wac" || rc=$?
	kill "$WATCHDOG" 2>/dev/null || true
	echo "$rc" >"$MEMOUT/$n/exit"
	STREAM_PREFIX="$n/" stream_out "$MEMOUT/$n"/*
	mkdir -p "$SHARE/out/$n"
	cp -a "$MEMOUT/$n"/. "$SHARE/out/$n/"
	console_mark "wac-guest: item $n end at $(uptime_s): exit $rc"
}

main() {
	local env tainted
	tainted=$(cat /proc/sys/kernel/tainted)
	echo "wac-guest: kernel $(uname -r), $(find "$SHARE/scenarios" -name '*.env' | wc -l) scenario(s)"
	for env in "$SHARE"/scenarios/*.env; do
		run_item "$env"
		sync
		if [ "$(cat /proc/sys/kernel/tainted)" != "$tainted" ]; then
			echo "wac-guest: the kernel is tainted ($(cat /proc/sys/kernel/tainted)): the batch ends here"
			break
		fi
	done
}

main
