#!/bin/bash
# The scenario steps, one function each (sourced by guest/scenario.sh, whose
# log, result, run_wac and state they use); names and arguments:
# harness/lib/steps.tsv, dispatch: run_steps in scenario.sh.
# shellcheck disable=SC2034 # FROZEN is read by scenario.sh's hang watch

step_run() { run_wac "$@" && check_dax "$OUT/wac-$WAC_N.json"; }
step_verify() { run_wac verify "$@"; }
step_flakey() {
	log "flakey $*"
	dev_flakey_load "$*" && return 0
	dev_flakey_accepts "$*" || _skip_scenario "dm-flakey in $(uname -r) rejects table '$*'"
	return 1
}
step_remount() {
	log "remount"
	case $SCN_FS in
	raw) return 0 ;;
	tmpfs)
		log "tmpfs: not remounted (its data would vanish)"
		return 0
		;;
	overlay)
		dev_unmount "$MNT"
		dev_overlay "$MNT" "$OVL_BASE"
		return
		;;
	esac
	dev_unmount "$MNT"
	mount_fs
}
# memcg LIMIT_MB|max: later wac runs in a fresh memory cgroup (no swap
# beyond the limit unless a zram_swap step or swap = zram came first).
step_memcg() {
	local swap=0 limit swap_dev
	[ -z "$SWAP_DEV" ] || swap=max
	memcg_create "wac-$SCN_NAME-$$-$WAC_N" "$1" "$swap" || return 1
	log "memory cgroup v$MEMCG_VERSION $MEMCG_DIR: limit $1 MB, swap ${SWAP_DEV:-none}"
	json_val limit "$1"
	json_val swap_dev "${SWAP_DEV:-none}"
	MEM_INFO="\"cgroup\":\"v$MEMCG_VERSION\",\"limit_mb\":$limit,\"swap\":$swap_dev"
	MEM_INFO+=",\"swap_mb\":${SWAP_MB:-0}"
	write_memory
}
# zram_swap SIZE_MB: a zram swap device for the rest of the scenario.
SWAP_DEV=""
SWAP_MB=""
step_zram_swap() {
	SWAP_DEV=$(dev_zram_swap "$1") || return 1
	SWAP_MB=$1
	log "swap on $SWAP_DEV ($1 MB zram)"
}
step_drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}
# freeze AFTER_S: freeze the filesystem AFTER_S seconds into the next
# step (in the background), as fstests freeze tests do; cleanup thaws.
step_freeze() {
	log "freeze in ${1:-0}s"
	FROZEN=1
	dev_undo_push fsfreeze -u "$MNT"
	(
		sleep "${1:-0}"
		fsfreeze -f "$MNT" && echo "wac-guest: froze $MNT"
	) &
}
step_thaw() {
	fsfreeze -u "$MNT" || true
	FROZEN=0
	log "thawed $MNT"
}
# folio_orders start|stop: the folios the page cache gains for the target
# between start and stop, by order, from the filemap tracepoint in a trace
# instance of the scenario's own (the global buffer and its users are left
# alone).  result.json folio_orders: {"by_order": {"ORDER": COUNT},
# "events_lost": N}; events_lost > 0 means the counts are short.
FOLIO_TRACE=/sys/kernel/tracing
FOLIO_EVENT=events/filemap/mm_filemap_add_to_page_cache
step_folio_orders() {
	local inst=$FOLIO_TRACE/instances/wac-folios-$$ dev ino lost counts
	case $1 in
	start)
		if [ ! -d "$FOLIO_TRACE/instances" ]; then
			dev_undo_push umount "$FOLIO_TRACE"
			mount -t tracefs nodev "$FOLIO_TRACE" 2>/dev/null ||
				_skip_scenario "no tracefs in kernel $(uname -r)"
		fi
		[ -d "$FOLIO_TRACE/$FOLIO_EVENT" ] ||
			_skip_scenario "no tracepoint filemap:mm_filemap_add_to_page_cache in kernel $(uname -r)"
		dev_undo_push rmdir "$inst"
		mkdir "$inst" && echo 16384 >"$inst/buffer_size_kb" && echo 1 >"$inst/$FOLIO_EVENT/enable"
		;;
	stop)
		[ -n "$MNT" ] && [ -f "$TARGET" ] || {
			log "folio_orders: the target must be a file on a filesystem"
			return 1
		}
		echo 0 >"$inst/$FOLIO_EVENT/enable" || return 1
		dev=$(findmnt -no MAJ:MIN "$MNT" | tr -d ' ')
		ino=$(printf %x "$(stat -c %i "$TARGET")")
		lost=$(cat "$inst"/per_cpu/cpu*/stats | awk '/^overrun:/ { n += $2 } END { print n + 0 }')
		counts=$(sed -n "s/.* dev $dev ino $ino .*order=\([0-9]*\).*/\1/p" "$inst/trace" |
			sort -n | uniq -c | awk -v lost="$lost" '
				{ o = o (NR > 1 ? "," : "") "\"" $2 "\":" $1 }
				END { printf "{\"by_order\":{%s},\"events_lost\":%d}", o, lost }')
		log "folio_orders of $TARGET: $counts"
		result_json folio_orders "$counts"
		;;
	*) return 1 ;;
	esac
}
step_sleep() { sleep "$1"; }
step_sysrq() { echo "$1" >/proc/sysrq-trigger; }
# sh COMMAND: an experiment's own command, with DEV (the top device),
# BASE_DEV, MNT and TARGET in its environment.
step_sh() {
	local rc=0 n=$((${#SH_RUNS[@]} + 1)) cmd
	log "sh[$n]: $*"
	DEV=$TOP_DEV BASE_DEV=$BASE_DEV MNT=$MNT TARGET=$TARGET WAC=$WAC \
		bash -c "$*" >>"$OUT/steps.log" 2>&1 || rc=$?
	json_str cmd "$*"
	SH_RUNS+=("{\"n\":$n,\"cmd\":$cmd,\"exit\":$rc}")
	write_result
	log "sh[$n] exit $rc"
}
# scsi_debug P=V...: change scsi_debug parameters at run time (every_nth,
# opts, delay...) through its sysfs driver directory.
step_scsi_debug() {
	local kv
	for kv in "$@"; do
		log "scsi_debug ${kv%%=*}=${kv#*=}"
		echo "${kv#*=}" >"/sys/bus/pseudo/drivers/scsi_debug/${kv%%=*}"
	done
}
