#!/bin/bash
# shellcheck disable=SC2034 # VM_STATUS: read by batch_collect
# Exit and signal handling of harness/run (sourced by it, not run): what
# stops the running VMs, shards and native scenario, judges what a signal
# cut short `interrupted`, and leaves no temporary file behind.  Uses
# harness/run's globals (RUN_DIR, ENVDIR, CHILD_PID, SHARD_PIDS, CUR_*).

# cleanup_run: on exit, kill a VM still running and drop its share and
# a batch directory left by an error (the judged results stay).
cleanup_run() {
	# a signal now would run on_signal, whose exit ends this trap before
	# its last line (seen: the expanded scenarios left in TMPDIR, about
	# once in 100 signals at the end of a run): the run is over, finish
	trap '' INT TERM
	vm_stop
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

# supervise ARGS...: harness/run ARGS as a worker process, this one only
# passing signals on; exits with the worker's status.  bash 5.2 runs a
# SIGINT trap at once when the signal comes while it waits for the child
# of a $(...), with its parser still inside that substitution: the
# trap's own text then fails to parse ("interrupt trap: line 2:
# unexpected EOF while looking for matching `)'"), bash exits 2 and
# nothing is judged (seen in the native signal test, SIGINT samples
# only: a SIGTERM trap waits for the command to end).  The worker starts
# with SIGINT ignored, which bash cannot undo, and so does everything it
# runs: a terminal's Ctrl-C acts through this process alone, which sends
# the worker SIGUSR1 for it.
supervise() {
	local worker="" pending="" rc
	trap 'supervise_pass USR1' INT
	trap 'supervise_pass TERM' TERM
	WAC_RUN_WORKER=1 "$0" "$@" &
	worker=$!
	[ -z "$pending" ] || kill -s "$pending" "$worker" 2>/dev/null || true
	# a signal ends the wait, not the worker
	while kill -0 "$worker" 2>/dev/null; do
		wait "$worker" || true
	done
	rc=0
	wait "$worker" || rc=$?
	# SIGUSR1 before the worker set its traps
	if [ "$rc" = 138 ]; then
		echo "${0##*/}: interrupted by SIGINT: no scenario was running" >&2
		rc=130
	fi
	exit "$rc"
}
supervise_pass() {
	if [ -n "$worker" ]; then
		kill -s "$1" "$worker" 2>/dev/null || true
	else
		pending=$1
	fi
}

# signals_hold / signals_release: a SIGINT/SIGTERM that comes in between
# is taken at the release, so that the few lines which make a scenario's
# directory and record it as the current one run as one step.
PENDING_SIGNAL=""
SAVED_TRAPS=""
signals_hold() {
	SAVED_TRAPS=$(trap -p INT USR1 TERM)
	trap 'PENDING_SIGNAL=INT' INT
	trap 'PENDING_SIGNAL=USR1' USR1
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
