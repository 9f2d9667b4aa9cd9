#!/bin/bash
# Run one scenario on the running kernel: a fresh scsi_debug disk (or a
# loop device), an optional dm-flakey layer, stable_writes, mkfs, mount,
# then the scenario's steps; always clean up (one undo stack,
# harness/lib/device.sh).
#
#   scenario.sh SCENARIO_ENV OUTDIR WAC_BINARY
#
# SCENARIO_ENV is the SCN_* file harness/lib/scenario.py writes for one
# scenario cell.  OUTDIR receives: steps.log (what ran), wac-N.json (one
# per generator invocation), result.json (setup facts and statuses, read
# by `wac-results harness-json`), dmesg.txt.
set -euo pipefail

SCENARIO_ENV=$1
OUT=$2
WAC=$3
GUEST_DIR=$(cd "$(dirname "$0")" && pwd)
MNT=${WAC_MNT:-/mnt/wac}

# shellcheck source=helpers.sh
. "$GUEST_DIR/helpers.sh"
# shellcheck source=stream.sh
. "$GUEST_DIR/stream.sh"
# In the VM the share holds device.sh and steps.tsv beside this script;
# the native backend runs it from the tree.
LIB_DIR=$GUEST_DIR
[ -f "$LIB_DIR/device.sh" ] || LIB_DIR=$GUEST_DIR/../lib
# shellcheck source=../lib/device.sh
. "$LIB_DIR/device.sh"
# shellcheck source=../lib/memcg.sh
. "$LIB_DIR/memcg.sh"
# shellcheck source=../lib/md.sh
. "$LIB_DIR/md.sh"
# shellcheck source=../lib/ocfs2.sh
. "$LIB_DIR/ocfs2.sh"
# shellcheck source=steps.sh
. "$GUEST_DIR/steps.sh"
# shellcheck disable=SC1090
. "$SCENARIO_ENV"

BASE_DEV=""    # sdX or loopN
TOP_DEV=""     # what mkfs/wac sees: /dev/sdX or /dev/mapper/wac-flakey
TARGET=""
WAC_N=0
FROZEN=0
declare -A RESULT=()  # key -> JSON value
WAC_RUNS=()           # JSON objects, one per wac invocation
SH_RUNS=()            # JSON objects, one per sh step
MEM_RUNS=()           # JSON objects: memcg counter deltas per wac run
MEM_INFO=""           # the memory object's fixed part (cgroup, limit, swap)

log() {
	echo "$*" >>"$OUT/steps.log"
	echo "wac-guest: $*"
}

# json_str VAR STRING: STRING as a JSON string (no jq in the guest) into
# VAR.  No command substitution here or in json_val: timeout(1) signals
# the whole process group, and a $(...) child killed by the SIGTERM that
# stops the scenario yields "" (seen: "stable_writes_initial":, an
# unreadable result.json, no verdict).
json_str() {
	local _js_s=$2 _js_c _js_out="" _js_i _js_n
	_js_s=${_js_s//\\/\\\\}
	_js_s=${_js_s//\"/\\\"}
	_js_s=${_js_s//$'\n'/\\n}
	_js_s=${_js_s//$'\t'/\\t}
	_js_s=${_js_s//$'\r'/\\r}
	if [[ $_js_s =~ [[:cntrl:]] ]]; then
		for ((_js_i = 0; _js_i < ${#_js_s}; _js_i++)); do
			_js_c=${_js_s:_js_i:1}
			printf -v _js_n '%d' "'$_js_c"
			if [ "$_js_n" -lt 32 ] || [ "$_js_n" -eq 127 ]; then
				printf -v _js_c '\\u%04x' "$_js_n"
			fi
			_js_out+=$_js_c
		done
		_js_s=$_js_out
	fi
	printf -v "$1" '"%s"' "$_js_s"
}

# json_val VAR VALUE: a number as itself, "null" as null, else a string.
json_val() {
	if [[ $2 =~ ^-?[0-9]+$ ]] || [ "$2" = null ]; then
		printf -v "$1" '%s' "$2"
	else
		json_str "$1" "$2"
	fi
}

# write_result: result.json from what is known so far (rewritten after
# every change, so a scenario killed at its deadline still leaves one).
write_result() {
	local k sep="" IFS=,
	{
		printf '{'
		for k in "${!RESULT[@]}"; do
			# a fact a signal left empty reads as unknown
			printf '%s"%s":%s' "$sep" "$k" "${RESULT[$k]:-null}"
			sep=,
		done
		printf '%s"wac":[%s],"sh":[%s]}\n' "$sep" "${WAC_RUNS[*]}" "${SH_RUNS[*]}"
	} >"$OUT/result.json.tmp"
	mv "$OUT/result.json.tmp" "$OUT/result.json"
	stream_out "$OUT/result.json"
}

# result KEY VALUE: one fact (number, null or string).
result() {
	json_val "RESULT[$1]" "$2"
	write_result
}

# result_json KEY JSON: one fact that is already JSON (an object).
result_json() {
	RESULT[$1]=$2
	write_result
}

cleanup() {
	set +e
	# a second signal must not cut the undo stack short
	trap '' INT TERM
	local pids
	pids=$(jobs -p)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill $pids 2>/dev/null
	# wac stops early on SIGTERM (syncs, verifies, writes its result):
	# the unmount below waits for it, up to 30 s, then it is killed
	for _ in $(seq 120); do
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -0 $pids 2>/dev/null || break
		sleep 0.25
	done
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	[ -s "$SKIP_FILE" ] && result skip "$(cat "$SKIP_FILE")"
	dev_undo_all
	[ -z "$DEV_DIR" ] || rm -rf "$DEV_DIR"
	md_cleaned
	result cleanup_left "$(leftovers)"
	dmesg >"$OUT/dmesg.txt" 2>/dev/null
}

# words_of STRING: STRING's blank-separated words in WORDS, as they are:
# no glob expansion (a '*' in a scenario's wac line stays a '*').
words_of() {
	WORDS=()
	read -ra WORDS <<<"$1" || true
}

# leftovers: what the undo stack failed to undo ("none" when nothing):
# the host cannot see inside a VM, so the guest says it in result.json.
leftovers() {
	local left=()
	grep -q " $MNT " /proc/mounts && left+=("mount:$MNT")
	[ "$SCN_DEVICE" = scsi_debug ] && [ -d /sys/module/scsi_debug ] && left+=(scsi_debug)
	dev_dm_kname "$FLAKEY_NAME" >/dev/null 2>&1 && left+=("dm:$FLAKEY_NAME")
	losetup -a 2>/dev/null | grep -qF "$DEV_DIR" && left+=(loop)
	md_on && grep -q "^$MD_KNAME :" /proc/mdstat 2>/dev/null && left+=("md:$MD_KNAME")
	if [ -n "${SWAP_DEV:-}" ]; then
		grep -q "^$SWAP_DEV " /proc/swaps 2>/dev/null && left+=("swap:$SWAP_DEV")
		[ "$(cat "/sys/block/${SWAP_DEV#/dev/}/disksize" 2>/dev/null || echo 0)" = 0 ] ||
			left+=("zram:${SWAP_DEV#/dev/}")
	fi
	# memcg_umount keeps cgroup2 mounted while one of these is left
	[ -n "${MEMCG_DIR:-}" ] && compgen -G "${MEMCG_DIR%/*}/wac-$SCN_NAME-$$-*" >/dev/null &&
		left+=("memcg:${MEMCG_DIR%/*}/wac-$SCN_NAME-$$-*")
	[ "${#left[@]}" -gt 0 ] || left=(none)
	echo "${left[*]}"
}

# _skip_scenario writes its reason here; cleanup carries it into result.json.
export SKIP_FILE=$OUT/skip

# setup_device: the fresh disk the scenario asks for.
setup_device() {
	local args dm
	case $SCN_DEVICE in
	tmpfs)
		# no block device: nothing to count, no stable_writes flag
		result device_na "tmpfs: no block device"
		return 0
		;;
	scsi_debug)
		args=("dif=$SCN_DIF" "dix=$SCN_DIX" "guard=$SCN_GUARD"
			"sector_size=$SCN_SECTOR_SIZE" "dev_size_mb=$SCN_DEV_SIZE_MB")
		words_of "$SCN_SCSI_DEBUG_ARGS $(md_scsi_debug_args)"
		args+=("${WORDS[@]}")
		# shellcheck disable=SC2034 # read by dev_scsi_debug
		! md_on || SCSI_DEBUG_WANT=$SCN_MD_MEMBERS
		log "modprobe scsi_debug ${args[*]}"
		dev_scsi_debug "${args[@]}" || return 1
		BASE_DEV=${SCSI_DEBUG_DEVICES[0]}
		;;
	pmem)
		setup_pmem || return 1
		;;
	loop)
		modprobe loop
		TOP_DEV=$(dev_loop "$SCN_DEV_SIZE_MB" "$SCN_SECTOR_SIZE") || return 1
		BASE_DEV=${TOP_DEV#/dev/}
		log "losetup $TOP_DEV (${SCN_DEV_SIZE_MB} MB, ${SCN_SECTOR_SIZE}-byte sectors)"
		;;
	esac
	result base_dev "$BASE_DEV"
	result integrity_format "$(dev_integrity_format "$BASE_DEV")"
	result stable_writes_initial "$(dev_stable_writes "$BASE_DEV")"
	if [ -n "$SCN_STABLE_WRITES" ]; then
		result stable_writes_set "$(dev_stable_writes "$BASE_DEV" "$SCN_STABLE_WRITES")"
	fi
	TOP_DEV=/dev/$BASE_DEV
	[ -n "$SCN_FLAKEY" ] || return 0
	modprobe dm_flakey
	# shellcheck disable=SC2034 # read by dev_flakey_table
	FLAKEY_BASE=$BASE_DEV
	dev_flakey_accepts "$SCN_FLAKEY" ||
		_skip_scenario "dm-flakey in $(uname -r) rejects table '$SCN_FLAKEY'"
	dev_flakey "$BASE_DEV" "$SCN_FLAKEY" || return 1
	TOP_DEV=$FLAKEY_DEV
	dm=$(dev_dm_kname "$FLAKEY_NAME")
	result flakey_dev "$dm"
	result stable_writes_top_initial "$(dev_stable_writes "$dm")"
	[ -z "$SCN_STABLE_WRITES" ] || dev_stable_writes "$dm" "$SCN_STABLE_WRITES" >/dev/null
	result stable_writes_top "$(dev_stable_writes "$dm")"
	result integrity_format_top "$(dev_integrity_format "$dm")"
}

# prefill_device: prefill_device = foreign fills the disk with another
# run's records before anything is made on it.
prefill_device() {
	local bytes
	[ "${SCN_PREFILL_DEVICE:-none}" = foreign ] || return 0
	log "prefill_device foreign: wac --prefill-only over $TOP_DEV"
	bytes=$(dev_prefill_foreign "$TOP_DEV" "$WAC" 1 2>>"$OUT/steps.log") || return 1
	result prefill_device_bytes "$bytes"
}

# setup_pmem: the VM's persistent memory as an fsdax namespace; the
# filesystem on it asks for DAX with its mount options (dax=always).
setup_pmem() {
	log "ndctl create-namespace --mode=fsdax (persistent memory)"
	TOP_DEV=$(dev_pmem) || return 1
	BASE_DEV=${TOP_DEV#/dev/}
	result pmem_dax "$(cat "/sys/block/$BASE_DEV/queue/dax" 2>/dev/null || echo null)"
	log "pmem: $TOP_DEV, $(($(blockdev --getsize64 "$TOP_DEV") >> 20)) MiB, queue/dax $(cat "/sys/block/$BASE_DEV/queue/dax" 2>/dev/null || echo '?')"
}

# check_dax JSON: with expect_dax = true|false, the run's target must
# report DAX (wac's target.dax, from statx) as expected: a filesystem that
# quietly fell back to the page cache fails the step, never passes.
check_dax() {
	local got
	[ -s "$1" ] || return 0 # no result: judged as such elsewhere
	got=$(sed -n 's/^ *"dax": \(true\|false\|null\),\{0,1\}$/\1/p' "$1" | head -n 1)
	RESULT[dax]=${got:-null}
	write_result
	[ "$SCN_EXPECT_DAX" = any ] || [ "${got:-null}" = "$SCN_EXPECT_DAX" ] && return 0
	log "DAX in effect: ${got:-null}, expected $SCN_EXPECT_DAX (expect_dax); the kernel log on DAX:"
	dmesg | grep -i dax | tail -n 5 >>"$OUT/steps.log"
	result dax_check "wac[$WAC_N]: target.dax ${got:-null}, expect_dax = $SCN_EXPECT_DAX"
	return 1
}

# setup_fs: mkfs and mount, or the raw device as the target; tmpfs, or
# overlayfs with its layers on tmpfs or on ext4 over the disk.
setup_fs() {
	prefill_device || return 1
	case $SCN_FS in
	raw)
		TARGET=$TOP_DEV
		return 0
		;;
	tmpfs)
		log "mount -t tmpfs -o size=${SCN_DEV_SIZE_MB}m $MNT"
		dev_tmpfs "$MNT" "$SCN_DEV_SIZE_MB" || return 1
		TARGET=$MNT/$SCN_FILE
		return 0
		;;
	overlay)
		setup_overlay || return 1
		TARGET=$MNT/$SCN_FILE
		return 0
		;;
	esac
	local pre=""
	if [ "$SCN_FS" = ocfs2 ]; then
		setup_ocfs2 || return 1
		pre="$(ocfs2_mkfs_args "$SCN_OCFS2_MODE") "
	fi
	log "mkfs.$SCN_FS $pre$SCN_MKFS_OPTIONS $TOP_DEV"
	words_of "$pre$SCN_MKFS_OPTIONS"
	dev_mkfs "$SCN_FS" "$TOP_DEV" "${WORDS[@]}" >>"$OUT/steps.log" 2>&1 || return 1
	# (setup runs inside an if: set -e does not stop a failed mount, and
	# wac would run on the initramfs's rootfs under MNT)
	mount_fs || return 1
	TARGET=$MNT/$SCN_FILE
	[ "$SCN_FS" = ocfs2 ] || return 0
	RESULT[ocfs2]=$(ocfs2_facts "$SCN_OCFS2_MODE" "$MNT")
	write_result
}

# setup_ocfs2: the ocfs2 modules, and for o2cb this node's cluster
# (harness/lib/ocfs2.sh); configfs as the kernel shows it, into the log.
setup_ocfs2() {
	log "ocfs2 $SCN_OCFS2_MODE: modules (o2cb: and cluster $OCFS2_CLUSTER in configfs)"
	ocfs2_prepare "$SCN_OCFS2_MODE" >>"$OUT/steps.log" 2>&1 || return 1
	[ "$SCN_OCFS2_MODE" = o2cb ] || return 0
	find "$OCFS2_CONFIGFS/cluster" -maxdepth 4 >>"$OUT/steps.log" 2>&1 || true
}

# setup_overlay: the layers' filesystem at OVL_BASE, then the overlay.
OVL_BASE=""
setup_overlay() {
	OVL_BASE=$DEV_DIR/layers
	if [ "$SCN_DEVICE" = tmpfs ]; then
		log "overlay layers on tmpfs (${SCN_DEV_SIZE_MB} MB)"
		dev_tmpfs "$OVL_BASE" "$SCN_DEV_SIZE_MB" || return 1
		result overlay_layers tmpfs
	else
		log "overlay layers on ext4 over $TOP_DEV"
		# shellcheck disable=SC2086 # options are words
		dev_mkfs ext4 "$TOP_DEV" $SCN_MKFS_OPTIONS >>"$OUT/steps.log" 2>&1 || return 1
		dev_mount ext4 "$TOP_DEV" "$OVL_BASE" "$SCN_MOUNT_OPTIONS" || return 1
		[ -z "$SCN_FLAKEY" ] || dev_undo_push dev_flakey_resume
		result overlay_layers ext4
	fi
	log "mount -t overlay (lower, upper, work under $OVL_BASE) $MNT"
	dev_overlay "$MNT" "$OVL_BASE"
}

# setup_pressure: the scenario's memory cgroup (and zram swap) around
# every later wac run.
setup_pressure() {
	[ -n "$SCN_MEMCG_MB" ] || return 0
	[ "$SCN_SWAP" != zram ] || step_zram_swap "$SCN_ZRAM_MB" || return 1
	step_memcg "$SCN_MEMCG_MB"
}

# write_memory: result.json's memory object from MEM_INFO and MEM_RUNS.
write_memory() {
	local IFS=,
	RESULT[memory]="{$MEM_INFO,\"runs\":[${MEM_RUNS[*]}]}"
	write_result
}

mount_fs() {
	log "mount -t $SCN_FS ${SCN_MOUNT_OPTIONS:+-o $SCN_MOUNT_OPTIONS} $TOP_DEV $MNT"
	dev_mount "$SCN_FS" "$TOP_DEV" "$MNT" "$SCN_MOUNT_OPTIONS" || return 1
	# a suspended flakey device would hang the unmount: resume first
	[ -z "$SCN_FLAKEY" ] || dev_undo_push dev_flakey_resume
}

# run_wac [verify] [EXTRA ARGS...]: one generator invocation, in the
# background so that a process whose threads sit in D state (a hang the
# watchdog reported) cannot stall the scenario once its JSON is written.
# dump_tasks WHY: every task (sysrq t) and every CPU (sysrq l) into the
# kernel log while the hang lasts: a lock holder that runs or sleeps
# interruptibly is invisible to a blocked-tasks dump (sysrq w) alone.
dump_tasks() {
	console_mark "wac-guest: $1: sysrq t, l"
	echo t >/proc/sysrq-trigger
	echo l >/proc/sysrq-trigger
	console_mark "wac-guest: task dump end"
}

run_wac() {
	local mode=run pid rc json waited=0 stuck=false dumped=false
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
		words_of "$SCN_WAC"
		cmd+=("${WORDS[@]}")
	fi
	cmd+=("$@" --state "$OUT/wac.state" --json "$json" "$TARGET")
	log "wac[$WAC_N]: ${cmd[*]#"$WAC"}${MEMCG_DIR:+ (in memory cgroup $MEMCG_DIR)}"
	if [ -n "$MEMCG_DIR" ]; then
		memcg_counters >"$OUT/memcg-$WAC_N.before"
		(memcg_exec "${cmd[@]}") >"$OUT/wac-$WAC_N.out" 2>&1 &
	else
		"${cmd[@]}" >"$OUT/wac-$WAC_N.out" 2>&1 &
	fi
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		[ "$dumped" = false ] && grep -q '"verdict": "hang"' "$json" 2>/dev/null &&
			dump_tasks "wac[$WAC_N] reported a hang" && dumped=true
		if [ -s "$json" ]; then
			[ "$waited" -eq 0 ] && stream_out "$json"
			waited=$((waited + 1))
			if [ "$waited" -gt 20 ] && [ "$stuck" = false ]; then
				log "wac[$WAC_N] wrote its result but has not exited (threads in D state?)"
				stuck=true
				[ "$FROZEN" = 1 ] && step_thaw
			fi
		fi
		sleep 0.5
	done
	rc=0
	wait "$pid" || rc=$?
	if [ -n "$MEMCG_DIR" ]; then
		memcg_counters >"$OUT/memcg-$WAC_N.after"
		MEM_RUNS+=("{\"n\":$WAC_N,\"counters\":$(memcg_delta "$OUT/memcg-$WAC_N.before" "$OUT/memcg-$WAC_N.after")}")
		write_memory
	fi
	[ "$waited" -gt 0 ] || stream_out "$json"
	WAC_RUNS+=("{\"n\":$WAC_N,\"mode\":\"$mode\",\"exit\":$rc,\"stuck\":$stuck,\"json\":\"wac-$WAC_N.json\"}")
	write_result
	log "wac[$WAC_N] exit $rc"
	tail -n 5 "$OUT/wac-$WAC_N.out" >>"$OUT/steps.log"
}

# run_steps: SCN_STEPS holds one step per line; the first word names it in
# the registry, `sh` takes the rest of the line whole.
run_steps() {
	local line name
	local -a words
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		name=${line%% *}
		grep -q "^$name	" "$LIB_DIR/steps.tsv" || {
			log "step not in the registry: $name"
			result failed_step "$line"
			return 1
		}
		if [ "$name" = sh ]; then
			words=(sh "${line#sh }")
		else
			read -ra words <<<"$line"
		fi
		if ! "step_$name" "${words[@]:1}"; then
			log "step failed: $line"
			result failed_step "$line"
			return 1
		fi
	done <<<"$SCN_STEPS"
}

main() {
	mkdir -p "$OUT"
	# the traps first, the directory named before it exists: a signal at
	# any point leaves nothing (cleanup removes DEV_DIR last)
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	DEV_DIR=${TMPDIR:-/tmp}/wac-dev.$$
	dev_init "$DEV_DIR"
	result kernel_release "$(uname -r)"
	result setup null
	result failed_step null
	result skip null
	_require_root
	_require_all "$SCN_REQUIRES"
	echo "wac-guest: scenario $SCN_NAME start" >/dev/kmsg 2>/dev/null || true
	if ! setup_device || ! md_setup || ! setup_fs; then
		result setup failed
		log "setup failed"
		return 1
	fi
	if ! setup_pressure; then
		result setup failed
		log "memory cgroup or swap setup failed"
		return 1
	fi
	result setup ok
	result target "$TARGET"
	run_steps
	md_observe || {
		result failed_step "md check"
		return 1
	}
	result steps finished
	echo "wac-guest: scenario $SCN_NAME end" >/dev/kmsg 2>/dev/null || true
}

main
