#!/bin/bash
# Run one scenario on the running kernel: a fresh scsi_debug disk (or a
# loop device), an optional dm-flakey layer, stable_writes, mkfs, mount,
# then the scenario's steps; always clean up.
#
#   scenario.sh SCENARIO_ENV OUTDIR WAC_BINARY
#
# SCENARIO_ENV is the shell-quoted SCN_* file harness/run writes from a
# .scn file.  OUTDIR receives: steps.log (what ran), wac-N.json (one per
# generator invocation), result.env (setup facts and status), dmesg.txt,
# skip (the reason, when a requirement is missing).
set -euo pipefail

SCENARIO_ENV=$1
OUT=$2
WAC=$3
GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
export SKIP_FILE=$OUT/skip
MNT=${WAC_MNT:-/mnt/wac}

# shellcheck source=helpers.sh
. "$GUEST_DIR/helpers.sh"
# shellcheck disable=SC1090
. "$SCENARIO_ENV"

BASE_DEV=""    # sdX or loopN
TOP_DEV=""     # what mkfs/wac sees: /dev/sdX or /dev/mapper/wac-flakey
LOOP_FILE=""
TARGET=""
WAC_N=0
SH_N=0
FROZEN=0

log() {
	echo "$*" >>"$OUT/steps.log"
	echo "wac-guest: $*"
}

result() {
	echo "$1=$(printf %q "$2")" >>"$OUT/result.env"
}

cleanup() {
	set +e
	[ "$FROZEN" = 1 ] && fsfreeze -u "$MNT" 2>/dev/null
	local pids
	pids=$(jobs -p)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill $pids 2>/dev/null
	if [ -n "$FLAKEY_BASE" ]; then
		_resume_flakey
	fi
	_unmount_all "$MNT"
	_remove_flakey
	if [ -n "$LOOP_FILE" ]; then
		losetup -d "/dev/$BASE_DEV" 2>/dev/null
		rm -f "$LOOP_FILE"
	fi
	_exit_scsi_debug
	dmesg >"$OUT/dmesg.txt" 2>/dev/null
}

# setup_device: the fresh disk the scenario asks for.
setup_device() {
	local args
	case $SCN_DEVICE in
	scsi_debug)
		_require_module scsi_debug
		args=("dif=$SCN_DIF" "dix=$SCN_DIX" "guard=$SCN_GUARD"
			"sector_size=$SCN_SECTOR_SIZE" "dev_size_mb=$SCN_DEV_SIZE_MB")
		# shellcheck disable=SC2206
		args+=($SCN_SCSI_DEBUG_ARGS)
		log "modprobe scsi_debug ${args[*]}"
		_init_scsi_debug "${args[@]}" || return 1
		BASE_DEV=${SCSI_DEBUG_DEVICES[0]}
		;;
	loop)
		_require_module loop
		modprobe loop
		LOOP_FILE=$(mktemp "${TMPDIR:-/tmp}/wac-loop.XXXXXX")
		truncate -s "${SCN_DEV_SIZE_MB}M" "$LOOP_FILE"
		local loopdev
		loopdev=$(losetup -f --show -b "$SCN_SECTOR_SIZE" "$LOOP_FILE") || return 1
		BASE_DEV=$(basename "$loopdev")
		log "losetup $loopdev $LOOP_FILE (${SCN_DEV_SIZE_MB} MB, ${SCN_SECTOR_SIZE}-byte sectors)"
		;;
	*) echo "unknown device $SCN_DEVICE" >&2; return 1 ;;
	esac
	result base_dev "$BASE_DEV"
	result integrity_format "$(_integrity_format "$BASE_DEV")"
	result stable_writes_initial "$(_stable_writes "$BASE_DEV")"
	if [ -n "$SCN_STABLE_WRITES" ]; then
		result stable_writes_set "$(_stable_writes "$BASE_DEV" "$SCN_STABLE_WRITES")"
	fi
	TOP_DEV=/dev/$BASE_DEV
	if [ -n "$SCN_FLAKEY" ]; then
		_require_module dm_flakey
		_require_cmd dmsetup
		modprobe dm_flakey
		_init_flakey "$BASE_DEV" "$SCN_FLAKEY" || return 1
		TOP_DEV=$FLAKEY_DEV
		local dm
		dm=$(_dm_kname "$FLAKEY_NAME")
		result flakey_dev "$dm"
		result stable_writes_top_initial "$(_stable_writes "$dm")"
		if [ -n "$SCN_STABLE_WRITES" ]; then
			_stable_writes "$dm" "$SCN_STABLE_WRITES" >/dev/null
		fi
		result stable_writes_top "$(_stable_writes "$dm")"
		result integrity_format_top "$(_integrity_format "$dm")"
	fi
}

# setup_fs: mkfs and mount, or the raw device as the target.
setup_fs() {
	if [ "$SCN_FS" = raw ]; then
		TARGET=$TOP_DEV
		return 0
	fi
	_require_fs "$SCN_FS"
	# shellcheck disable=SC2086
	log "mkfs.$SCN_FS $SCN_MKFS_OPTIONS $TOP_DEV"
	# shellcheck disable=SC2086
	_mkfs "$SCN_FS" "$TOP_DEV" $SCN_MKFS_OPTIONS >>"$OUT/steps.log" 2>&1 || return 1
	mount_fs
	TARGET=$MNT/$SCN_FILE
}

mount_fs() {
	mkdir -p "$MNT"
	local opts=()
	[ -n "$SCN_MOUNT_OPTIONS" ] && opts=(-o "$SCN_MOUNT_OPTIONS")
	log "mount -t $SCN_FS ${opts[*]} $TOP_DEV $MNT"
	mount -t "$SCN_FS" "${opts[@]}" "$TOP_DEV" "$MNT"
}

# run_wac [verify] [EXTRA ARGS...]: one generator invocation, in the
# background so that a process whose threads sit in D state (a hang the
# watchdog reported) cannot stall the scenario once its JSON is written.
run_wac() {
	local mode=run pid rc json waited=0
	if [ "${1:-}" = verify ]; then
		mode=verify
		shift
	fi
	WAC_N=$((WAC_N + 1))
	json=$OUT/wac-$WAC_N.json
	local cmd=("$WAC")
	if [ "$mode" = verify ]; then
		cmd+=(verify)
	else
		# shellcheck disable=SC2206
		cmd+=($SCN_WAC)
	fi
	cmd+=("$@" --state "$OUT/wac.state" --json "$json" "$TARGET")
	log "wac[$WAC_N]: ${cmd[*]#"$WAC"}"
	"${cmd[@]}" >"$OUT/wac-$WAC_N.out" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ -s "$json" ]; then
			waited=$((waited + 1))
			if [ "$waited" -gt 20 ]; then
				log "wac[$WAC_N] wrote its result but has not exited (threads in D state?)"
				result "wac_${WAC_N}_stuck" 1
				[ "$FROZEN" = 1 ] && thaw_fs
			fi
		fi
		sleep 0.5
	done
	rc=0
	wait "$pid" || rc=$?
	result "wac_${WAC_N}_exit" "$rc"
	log "wac[$WAC_N] exit $rc"
	tail -n 5 "$OUT/wac-$WAC_N.out" >>"$OUT/steps.log"
}

thaw_fs() {
	fsfreeze -u "$MNT" || true
	FROZEN=0
	log "thawed $MNT"
}

# run_step STEP...: one step of SCN_STEPS.
run_step() {
	local verb=$1
	shift
	case $verb in
	run) run_wac "$@" ;;
	verify) run_wac verify "$@" ;;
	flakey)
		log "flakey $*"
		_load_flakey_table "$*"
		;;
	remount)
		log "remount"
		[ "$SCN_FS" = raw ] && return 0
		_unmount_all "$MNT"
		mount_fs
		;;
	drop_caches) sync; echo 3 >/proc/sys/vm/drop_caches ;;
	freeze)
		# freeze AFTER_S: freeze the filesystem AFTER_S seconds into the
		# next step (in the background), as fstests freeze tests do.
		log "freeze in ${1:-0}s"
		FROZEN=1
		(sleep "${1:-0}"; fsfreeze -f "$MNT" && echo "wac-guest: froze $MNT") &
		;;
	thaw) thaw_fs ;;
	sleep) sleep "$1" ;;
	sysrq) echo "$1" >/proc/sysrq-trigger ;;
	sh)
		# sh COMMAND...: an experiment's own command, with DEV (the top
		# device), BASE_DEV, MNT and TARGET in its environment.
		local rc=0
		SH_N=$((SH_N + 1))
		log "sh[$SH_N]: $*"
		DEV=$TOP_DEV BASE_DEV=$BASE_DEV MNT=$MNT TARGET=$TARGET \
			bash -c "$*" >>"$OUT/steps.log" 2>&1 || rc=$?
		result "sh_${SH_N}_exit" "$rc"
		log "sh[$SH_N] exit $rc"
		;;
	scsi_debug)
		# scsi_debug P=V...: change scsi_debug parameters at run time
		# (every_nth, opts, delay...) through its sysfs driver directory.
		local kv
		for kv in "$@"; do
			log "scsi_debug ${kv%%=*}=${kv#*=}"
			echo "${kv#*=}" >"/sys/bus/pseudo/drivers/scsi_debug/${kv%%=*}"
		done
		;;
	*) echo "unknown step $verb" >&2; return 1 ;;
	esac
}

run_steps() {
	local step
	local -a words
	IFS=';' read -ra steps <<<"$SCN_STEPS"
	for step in "${steps[@]}"; do
		read -ra words <<<"$step"
		[ "${#words[@]}" -gt 0 ] || continue
		if ! run_step "${words[@]}"; then
			log "step failed: ${words[*]}"
			result failed_step "${words[*]}"
			return 1
		fi
	done
}

main() {
	mkdir -p "$OUT"
	: >"$OUT/result.env"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	_require_root
	result kernel_release "$(uname -r)"
	echo "wac-guest: scenario $SCN_NAME start" >/dev/kmsg 2>/dev/null || true
	if ! setup_device || ! setup_fs; then
		result setup error
		log "setup failed"
		return 1
	fi
	result setup ok
	result target "$TARGET"
	run_steps
	result steps finished
	echo "wac-guest: scenario $SCN_NAME end" >/dev/kmsg 2>/dev/null || true
}

main
