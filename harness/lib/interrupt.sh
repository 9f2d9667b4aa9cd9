#!/bin/bash
# shellcheck disable=SC2034 # VM_STATUS: read by batch_collect
# Exit and signal handling of harness/run (sourced by it, not run): what
# stops the running VMs, shards and native scenario, judges what a signal
# cut short `interrupted`, and leaves no temporary file behind.  Uses
# harness/run's globals (RUN_DIR, ENVDIR, CHILD_PID, SHARD_PIDS, CUR_*).

# cleanup_run: on exit, kill a VM still running and drop its share and
# a batch directory left by an error (the judged results stay).  A
# native scenario still running is stopped (it undoes its devices) and
# judged: bash 5.2 can die of a trap it failed to parse, on_signal never
# ran (harness/NOTES.md, "The native signal test's flake").
cleanup_run() {
	# a signal now would run on_signal, whose exit ends this trap before
	# its last line (seen: the expanded scenarios left in TMPDIR, about
	# once in 100 signals at the end of a run): the run is over, finish
	trap '' INT TERM
	stop_child
	vm_stop
	[ ${#CUR_NATIVE[@]} -eq 0 ] || interrupt_current
	if [ -n "${CURRENT_SHARE:-}" ] && [ -d "$CURRENT_SHARE" ]; then
		rm -rf "$CURRENT_SHARE"
	fi
	[ -z "$CUR_BATCH" ] || rm -rf "$CUR_BATCH"
	if [ "$RUN_DIR_MADE" = 1 ] && [ "$IN_SHARD" = 0 ]; then
		rm -f "$RUN_DIR"/.rows.*
		rmdir "$RUN_DIR" 2>/dev/null || true
	fi
	[ -z "$ENVDIR" ] || [ "$IN_SHARD" = 1 ] || rm -rf "$ENVDIR"
}

# run_bg VAR FUNCTION [ARGS...]: FUNCTION's stdout in VAR, run in the
# background so that a signal is handled at once; on SIGTERM the job
# stops a VM it booted (the KVM probe) and drops a half-built initramfs.
run_bg() {
	local var=$1 rc=0
	shift
	(
		trap 'vm_stop; initramfs_abort; exit 143' TERM
		"$@"
	) >"$ENVDIR/bg.out" &
	CHILD_PID=$!
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=""
	printf -v "$var" '%s' "$(cat "$ENVDIR/bg.out")"
	return "$rc"
}

# stop_child: SIGTERM to the job run_bg or the native scenario waits for
# (timeout(1) passes it on: the scenario's own trap unwinds its devices),
# up to 60 s to finish, then SIGKILL.
stop_child() {
	[ -n "$CHILD_PID" ] || return 0
	kill -TERM "$CHILD_PID" 2>/dev/null || true
	for _ in $(seq 240); do
		kill -0 "$CHILD_PID" 2>/dev/null || break
		sleep 0.25
	done
	kill -KILL "$CHILD_PID" 2>/dev/null || true
	wait "$CHILD_PID" 2>/dev/null || true
	CHILD_PID=""
}

# interrupt_current: judge what a signal cut short: the native item, or
# the batch whose VM was killed (its finished items as they ended, the
# one running `interrupted`, the ones not begun dropped).
interrupt_current() {
	if [ ${#CUR_NATIVE[@]} -gt 0 ]; then
		# judged already, or ended before the signal: as it ended
		[ "${#SUMMARY[@]}" = "${CUR_NATIVE[4]}" ] || return 0
		[ "${CUR_NATIVE[5]}" = ended ] || RUN_STATUS=interrupted
		item_end native "${CUR_NATIVE[0]}" "$(elapsed_s "${CUR_NATIVE[1]}")" "" \
			"${CUR_NATIVE[2]}" "${CUR_NATIVE[3]}"
		CUR_NATIVE=()
	elif [ -n "$CUR_BATCH" ]; then
		if [ "$CUR_BATCH_COLLECTED" = 0 ]; then
			VM_STATUS=interrupted
			batch_collect "$CUR_BATCH" "${#CUR_BATCH_ITEMS[@]}"
			CUR_BATCH_COLLECTED=1
		fi
		judge_batch
	fi
}

# signals_hold / signals_release: a SIGINT/SIGTERM that comes in between
# is taken at the release, so that the few lines which make a scenario's
# directory and record it as the current one run as one step.
PENDING_SIGNAL=""
SAVED_TRAPS=""
signals_hold() {
	SAVED_TRAPS=$(trap -p INT TERM)
	trap 'PENDING_SIGNAL=INT' INT
	trap 'PENDING_SIGNAL=TERM' TERM
}
signals_release() {
	eval "$SAVED_TRAPS"
	[ -z "$PENDING_SIGNAL" ] || kill -s "$PENDING_SIGNAL" "$BASHPID"
}

# on_signal NAME: SIGINT/SIGTERM.  Stop what runs (the shards, the
# native scenario and its devices, a VM, a probe), judge what was cut
# short, print the table so far, exit 128+signo.  A shard only judges
# its own items (their rows go to the lead).
on_signal() {
	local sig=$1 pid row s k out judged
	local -a cut=()
	trap '' INT TERM
	progress_done
	for pid in "${SHARD_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${SHARD_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	stop_child
	vm_stop
	judged=${#SUMMARY[@]}
	interrupt_current
	[ "$IN_SHARD" = 0 ] || exit $((128 + $(kill -l "$sig")))
	[ ${#SHARD_PIDS[@]} -eq 0 ] || gather_shard_rows
	for row in "${SUMMARY[@]}"; do
		IFS='|' read -r s k _ _ out _ <<<"$row"
		[ "$out" != interrupted ] || cut+=("$s@$k")
	done
	if [ ${#cut[@]} -gt 0 ]; then
		warn "interrupted by SIG$sig: ${cut[*]} judged interrupted"
	elif [ ${#SUMMARY[@]} -gt "$judged" ] && IFS='|' read -r s k _ _ out _ <<<"${SUMMARY[judged]}" &&
		[ "$out" = error ]; then
		# the scenario cut short was judged, but its results were
		# unreadable
		warn "interrupted by SIG$sig: $s@$k judged error"
	else
		warn "interrupted by SIG$sig: no scenario was running"
	fi
	[ "${#SUMMARY[@]}" = 0 ] || print_summary >&2
	exit $((128 + $(kill -l "$sig")))
}
