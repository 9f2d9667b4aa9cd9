#!/bin/bash
# Observed channels, the expected-vs-observed verdict and the
# wac-harness/1 document (sourced, not run).

# Kernel log lines that count as the kmsg channel when the harness scans
# the guest's log itself (wac's own /dev/kmsg reader is the other source).
KMSG_PATTERN='GUARD check failed|REF check failed|APP check failed|[Pp]rotection error|Buffer I/O error|I/O error, dev|critical medium error|Integrity check failed|ILLEGAL REQUEST.*check failed|ref tag error|guard tag error|BUG:|WARNING:|soft lockup'
HANG_PATTERN='blocked for more than [0-9]+ seconds'

# guest_kmsg DIR: the guest kernel log from the scenario's start marker on.
guest_kmsg() {
	local dir=$1 f
	for f in "$dir/dmesg.txt" "$dir/serial.log" "$dir/console.log"; do
		[ -s "$f" ] || continue
		awk '/wac-guest: scenario .* start/ { on = 1 } on' "$f"
		return 0
	done
}

# wac_channels JSON: the channels one wac/1 document shows, one per line.
# wac's bug_warning count is left out: its "bug:" pattern also matches
# every "scsi_debug:" line; real BUG:/WARNING: lines are caught by
# KMSG_PATTERN in the guest log (case-sensitive).
wac_channels() {
	jq -r '
		def n: if type == "number" then . else 0 end;
		[
		  (if ((.integrity.syscall_errors.total | n) > 0) or (.integrity.final_sync.ok == false) then "syscall" else empty end),
		  (if (.integrity.contract.total | n) > 0 then "contract" else empty end),
		  (if ([.integrity.kmsg.counts // {} | to_entries[]
		        | select(.key != "hung_task" and .key != "dio_collision" and .key != "bug_warning")
		        | .value | n] | add // 0) > 0
		   then "kmsg" else empty end),
		  (if .verdict == "hang" or ((.hangs // []) | length) > 0
		      or ((.integrity.kmsg.counts.hung_task | n) > 0) then "hang" else empty end),
		  (if (.integrity.verify.done == false) and (.integrity.verify.error != null)
		   then "verify:unreadable" else empty end),
		  (.integrity.verify // {} | to_entries[]
		    | select(.key == "torn" or .key == "lost" or .key == "misdirected"
		             or .key == "foreign" or .key == "future")
		    | select((.value | n) > 0) | "verify:" + .key)
		] | .[]' "$1" 2>/dev/null
}

# shellcheck disable=SC2034 # OBS_* and OUTCOME* are read by harness/run
# judge_scenario DIR EXPECT STATUS: sets OBS_VERDICT, OBS_CHANNELS (comma
# list), OBS_SUMMARY, OUTCOME (ok|unexpected|error|skip), OUTCOME_REASON.
judge_scenario() {
	local dir=$1 expect=$2 status=$3 f v rc ch chans=() want missing=()
	OBS_VERDICT=pass OUTCOME="" OUTCOME_REASON=""
	local setup="" failed_step=""
	# shellcheck disable=SC1091
	[ -f "$dir/result.env" ] && . "$dir/result.env"
	if [ -f "$dir/skip" ]; then
		OBS_VERDICT=skip OBS_CHANNELS="" OBS_SUMMARY=skip
		OUTCOME=skip OUTCOME_REASON=$(cat "$dir/skip")
		return 0
	fi
	for f in "$dir"/wac-*.json; do
		[ -s "$f" ] || continue
		v=$(jq -r '.verdict // "error"' "$f" 2>/dev/null || echo error)
		case $v in
		hang) OBS_VERDICT=hang ;;
		fail) [ "$OBS_VERDICT" = hang ] || OBS_VERDICT=fail ;;
		error) [ "$OBS_VERDICT" = pass ] && OBS_VERDICT=error ;;
		esac
		while read -r ch; do
			[ -n "$ch" ] && chans+=("$ch")
		done < <(wac_channels "$f")
	done
	if guest_kmsg "$dir" | grep -qE "$KMSG_PATTERN"; then
		chans+=(kmsg)
	fi
	if guest_kmsg "$dir" | grep -qE "$HANG_PATTERN"; then
		chans+=(hang)
	fi
	if [ "$status" = timeout ]; then
		OBS_VERDICT=hang
		chans+=(hang)
	fi
	OBS_CHANNELS=$(printf "%s\n" "${chans[@]}" | sort -u | grep . | paste -sd, - || true)
	OBS_SUMMARY=$OBS_VERDICT${OBS_CHANNELS:+:$OBS_CHANNELS}

	# Errors first: no kernel, no device, no result.
	case $status in
	noboot) OUTCOME=error OUTCOME_REASON="the kernel did not reach init (see serial.log)" ;;
	qemu-error) OUTCOME=error OUTCOME_REASON="QEMU failed (see qemu.log)" ;;
	crash) OUTCOME=error OUTCOME_REASON="the guest kernel died before the scenario finished (see serial.log)" ;;
	esac
	if [ -z "$OUTCOME" ] && [ "$status" != timeout ]; then
		if [ "${setup:-}" != ok ]; then
			OUTCOME=error OUTCOME_REASON="device or filesystem setup failed (see steps.log)"
		elif [ -n "${failed_step:-}" ]; then
			OUTCOME=error OUTCOME_REASON="step failed: $failed_step (see steps.log)"
		elif ! ls "$dir"/wac-*.json >/dev/null 2>&1 && [[ ";$SCN_STEPS" =~ \;\ *(run|verify) ]]; then
			OUTCOME=error OUTCOME_REASON="no wac result (see steps.log, serial.log)"
		else
			rc=$(grep -E '^wac_[0-9]+_exit=2$' "$dir/result.env" | head -n 1 || true)
			[ -z "$rc" ] || { OUTCOME=error OUTCOME_REASON="wac usage/setup error (${rc%%=*})"; }
		fi
	fi
	if [ -n "$OUTCOME" ]; then
		[ "$OBS_VERDICT" = pass ] && OBS_VERDICT=error
		return 0
	fi
	if [ -z "$expect" ]; then
		OUTCOME=error OUTCOME_REASON="no expect line applies to this kernel"
		return 0
	fi

	case $expect in
	pass)
		if [ -z "$OBS_CHANNELS" ] && [ "$OBS_VERDICT" = pass ]; then
			OUTCOME=ok
		else
			OUTCOME=unexpected OUTCOME_REASON="expected pass, detected on ${OBS_CHANNELS:-verdict $OBS_VERDICT}"
		fi
		;;
	detect)
		if [ -n "$OBS_CHANNELS" ]; then
			OUTCOME=ok
		else
			OUTCOME=unexpected OUTCOME_REASON="expected a detection, every channel was quiet"
		fi
		;;
	detect:*)
		IFS=',' read -ra want <<<"${expect#detect:}"
		for ch in "${want[@]}"; do
			if [[ $ch == !* ]]; then
				# !CHANNEL: this channel must stay quiet.
				case ,$OBS_CHANNELS, in
				*,"${ch#!}",*) missing+=("$ch") ;;
				esac
				continue
			fi
			case ,$OBS_CHANNELS, in
			*,"$ch",*) ;;
			*)
				if [ "$ch" = verify ] && [[ ,$OBS_CHANNELS, == *,verify:* ]]; then
					continue
				fi
				missing+=("$ch")
				;;
			esac
		done
		if [ "${#missing[@]}" -eq 0 ]; then
			OUTCOME=ok
		else
			OUTCOME=unexpected
			OUTCOME_REASON="channel ${missing[*]} disagreed (observed: ${OBS_CHANNELS:-none})"
		fi
		;;
	esac
}

# json_or_null VALUE: a number, or null.
json_num() {
	case ${1:-} in
	'' | null) echo null ;;
	*[!0-9.]*) echo null ;;
	*) echo "$1" ;;
	esac
}

# write_harness_json DIR ENV EXPECT ALIAS PACKAGE RELEASE ACCEL STARTED WALL BOOT
write_harness_json() {
	local dir=$1 env=$2 expect=$3 alias=$4 package=$5 release=$6 accel=$7
	local started=$8 wall=$9 boot=${10} exp_outcome exp_channels flakey commit
	local integrity_format="" integrity_format_top="" stable_writes_initial="" stable_writes_set=""
	local flakey_dev="" stable_writes_top_initial="" stable_writes_top=""
	# shellcheck disable=SC1090
	. "$env"
	# shellcheck disable=SC1091
	[ -f "$dir/result.env" ] && . "$dir/result.env"
	exp_outcome=${expect%%:*}
	exp_channels=""
	[[ $expect == detect:* ]] && exp_channels=${expect#detect:}
	flakey=${SCN_FLAKEY:-}
	commit=$(git -C "$SUITE_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
	local wacs
	wacs=$(find "$dir" -maxdepth 1 -name 'wac-*.json' | sort -V)
	# shellcheck disable=SC2086
	{
		if [ -n "$wacs" ]; then jq -s . $wacs 2>/dev/null || echo '[]'; else echo '[]'; fi
	} | jq \
		--arg run_id "$RUN_ID" --arg scenario "$SCN_NAME" --arg file "$SCN_SOURCE" \
		--arg description "$SCN_DESCRIPTION" \
		--arg alias "$alias" --arg package "$package" --arg release "$release" \
		--arg backend "$BACKEND" --arg accel "$accel" \
		--arg kind "$SCN_DEVICE" --argjson dif "$SCN_DIF" --argjson dix "$SCN_DIX" \
		--argjson guard "$SCN_GUARD" --argjson ss "$SCN_SECTOR_SIZE" \
		--argjson size "$SCN_DEV_SIZE_MB" --arg flakey "$flakey" \
		--arg fs "$SCN_FS" --arg sw "${SCN_STABLE_WRITES:-}" \
		--arg swi "${stable_writes_initial:-}" --arg sws "${stable_writes_set:-}" \
		--arg integrity "${integrity_format:-}" --arg integrity_top "${integrity_format_top:-}" \
		--arg flakey_dev "$flakey_dev" --arg swti "$stable_writes_top_initial" --arg swt "$stable_writes_top" \
		--arg exp_outcome "$exp_outcome" --arg exp_channels "$exp_channels" \
		--arg verdict "$OBS_VERDICT" --arg channels "$OBS_CHANNELS" \
		--arg outcome "$OUTCOME" --arg reason "$OUTCOME_REASON" \
		--arg started "$started" --argjson wall "$(json_num "$wall")" \
		--argjson boot "$(json_num "$boot")" --arg host "$(hostname)" \
		--arg commit "$commit" --arg steps "$SCN_STEPS" --arg wacargs "$SCN_WAC" \
		--arg status "$RUN_STATUS" --argjson retries "${BOOT_RETRIES:-0}" '
		def num: if . == "" or . == "null" then null else tonumber end;
		def list: if . == "" then [] else split(",") end;
		{
		  schema: "wac-harness/1", run_id: $run_id,
		  scenario: $scenario, scenario_file: $file, description: $description,
		  kernel: {alias: $alias, package: $package, release: $release},
		  backend: $backend, accel: $accel,
		  device: {kind: $kind, dif: $dif, dix: $dix, guard: $guard, sector_size: $ss,
		           dev_size_mb: $size, flakey: (if $flakey == "" then null else $flakey end),
		           integrity_format: (if $integrity == "" then null else $integrity end),
		           integrity_format_top: (if $integrity_top == "" then null else $integrity_top end),
		           flakey_dev: (if $flakey_dev == "" then null else $flakey_dev end),
		           stable_writes_top_initial: ($swti | num), stable_writes_top: ($swt | num),
		           stable_writes_initial: ($swi | num), stable_writes_after_set: ($sws | num)},
		  fs: $fs, stable_writes: ($sw | num),
		  steps: $steps, wac_args: $wacargs,
		  expected: {outcome: $exp_outcome, channels: ($exp_channels | list)},
		  observed: {verdict: $verdict, channels: ($channels | list), vm_status: $status,
		             boot_retries: $retries},
		  outcome: $outcome, reason: $reason,
		  wac: .,
		  started: $started, wall_s: $wall, boot_s: $boot,
		  host: $host, suite_commit: $commit
		}' >"$dir/harness.json.tmp"
	mv "$dir/harness.json.tmp" "$dir/harness.json"
}
