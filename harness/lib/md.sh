#!/bin/bash
# md arrays for the device library (sourced after device.sh, not run;
# runs under bash with busybox or coreutils).  Every array made here is
# stopped and its members' superblocks zeroed by the device.sh undo stack.
#
#   dev_md_create LEVEL BITMAP DEV...  mdadm --create --assume-clean at
#                                   MD_DEV (kernel name MD_KNAME); BITMAP is
#                                   internal, none or a file path
#   dev_md_bitmap_fs SIZE_MB        ext4 on a loop device for an external
#                                   bitmap file; prints the directory
#   dev_md_sync KNAME ACTION [S]    write ACTION (check, repair) to
#                                   sync_action and wait up to S s for idle
#   dev_md_check KNAME              a full check; prints mismatch_cnt
#   dev_md_attr KNAME ATTR [VALUE]  read (or set, then read) md/ATTR
#   dev_md_stop DEV [MEMBER...]     stop, zero the members' superblocks
#   dev_md_active                   arrays in /proc/mdstat (md100 ...)
#
# mdadm runs without udev: it makes /dev/mdN itself.

MD_DEV=/dev/md100
MD_KNAME=md100
MD_ERR=""       # mdadm's last error line (dev_md_create)

# dev_md_attr KNAME ATTR [VALUE]: "null" without the attribute.
dev_md_attr() {
	local f=/sys/block/$1/md/$2
	[ -e "$f" ] || {
		echo null
		return 0
	}
	if [ $# -gt 2 ]; then
		echo "$3" >"$f" 2>/dev/null || true
	fi
	cat "$f"
}

# dev_md_create LEVEL BITMAP DEV...: a fresh array over DEV..., its
# members assumed clean (scsi_debug disks start zeroed, so mirrors and
# parity agree).  The undo stack stops it and zeroes the superblocks.
dev_md_create() {
	local level=$1 bitmap=$2 out rc=0 chunk=()
	shift 2
	[ "$level" = 1 ] || chunk=(--chunk=64)
	# the personality too: the guest has no usermode helper to load it
	case $level in
	5 | 6 | 4) modprobe raid456 ;;
	*) modprobe "raid$level" ;;
	esac 2>/dev/null || true
	# as fast as the machine can go: checks run on an idle array
	echo 2000000 >/proc/sys/dev/raid/speed_limit_max 2>/dev/null || true
	dev_undo_push dev_md_stop "$MD_DEV" "$@"
	out=$(mdadm --create "$MD_DEV" --run --metadata=1.2 --level="$level" \
		--raid-devices=$# --assume-clean --bitmap="$bitmap" "${chunk[@]}" \
		"$@" 2>&1 </dev/null) || rc=$?
	echo "$out"
	MD_ERR=$(grep -i 'mdadm:' <<<"$out" | tail -n 1)
	[ "$rc" -eq 0 ] || return 1
	for _ in $(seq 50); do
		[ -b "$MD_DEV" ] && [ -e "/sys/block/$MD_KNAME/md/sync_action" ] && return 0
		sleep 0.2
	done
	MD_ERR="$MD_DEV did not appear"
	return 1
}

# dev_md_bitmap_fs SIZE_MB: a small ext4 on a loop device, mounted under
# DEV_DIR, for an external bitmap file (md needs a block-mapped file on
# another filesystem than the array's).
dev_md_bitmap_fs() {
	local dev dir=$DEV_DIR/md-bitmap-fs
	modprobe loop 2>/dev/null || true
	dev=$(dev_loop "$1") || return 1
	dev_mkfs ext4 "$dev" >/dev/null 2>&1 || return 1
	dev_mount ext4 "$dev" "$dir" || return 1
	echo "$dir"
}

# dev_md_sync KNAME ACTION [TIMEOUT_S]: start ACTION and wait for idle.
dev_md_sync() {
	local kname=$1 action=$2 deadline=$((SECONDS + ${3:-600}))
	echo "$action" >"/sys/block/$kname/md/sync_action" || return 1
	sleep 0.5
	dev_md_wait_idle "$kname" "$deadline"
}

# dev_md_wait_idle KNAME DEADLINE: wait (SECONDS clock) for no
# resync/recovery/check.
dev_md_wait_idle() {
	while [ "$(cat "/sys/block/$1/md/sync_action")" != idle ]; do
		if [ "$SECONDS" -ge "$2" ]; then
			echo "dev_md_wait_idle: $1 still $(cat "/sys/block/$1/md/sync_action")" >&2
			return 1
		fi
		sleep 0.5
	done
}

# dev_md_check KNAME: a full check of the array; print mismatch_cnt (in
# 512-byte sectors, as the kernel counts it).
dev_md_check() {
	dev_md_sync "$1" check || return 1
	cat "/sys/block/$1/md/mismatch_cnt"
}

# dev_md_stop DEV [MEMBER...]: stop the array (retrying while it is
# still busy), then zero the members' md superblocks.
dev_md_stop() {
	local dev=$1 m
	shift
	if [ -e "/sys/block/${dev#/dev/}/md" ]; then
		for _ in $(seq 10); do
			mdadm --stop "$dev" >/dev/null 2>&1 && break
			sleep 0.5
		done
	fi
	for m in "$@"; do
		[ -b "$m" ] && mdadm --zero-superblock "$m" >/dev/null 2>&1
	done
	return 0
}

# dev_md_active: the md arrays the kernel still has, space-separated.
dev_md_active() {
	awk '/^md[0-9]+ :/ { printf "%s%s", s, $1; s = " " }' /proc/mdstat 2>/dev/null
}

# ------------------------------------------------------- the scenario side
# harness/guest/scenario.sh's md hooks and steps (they use its log,
# json_val, write_result, RESULT, OUT, MNT, TOP_DEV and the SCN_md_*
# keys): result.json's "md" object is MD_FACTS.
#
#   md_scsi_debug_args   the scsi_debug parameters for one disk per member
#   md_setup             the array over the disks (after setup_device)
#   md_observe           after the steps: unmount, check, mismatch_cnt
#                        (the md:mismatch channel), mdadm -X of a file bitmap
#   md_cleaned           after the undo stack: arrays the guest left behind

declare -A MD_FACTS=()
MD_MEMBERS=()      # /dev paths, the flakey device first when there is one
MD_BITMAP_FILE=""
MD_BITMAP_READS=() # JSON objects, one per md_bitmap_read
MD_READER=""       # a background md_bitmap_read

md_on() { [ -n "${SCN_MD_LEVEL:-}" ]; }

# md_fact KEY VALUE: one fact (number, null or string) in result.json's md.
md_fact() {
	json_val "MD_FACTS[$1]" "$2"
	md_write
}

md_write() {
	local k sep="" out="{" IFS=,
	for k in "${!MD_FACTS[@]}"; do
		out+="$sep\"$k\":${MD_FACTS[$k]}"
		sep=,
	done
	[ ${#MD_BITMAP_READS[@]} -eq 0 ] || out+="$sep\"bitmap_reads\":[${MD_BITMAP_READS[*]}]"
	# shellcheck disable=SC2034,SC2154 # scenario.sh's associative RESULT
	RESULT["md"]="$out}"
	write_result
}

# md_scsi_debug_args: each member its own host and its own store (one
# host's targets would share a single store: every "disk" the same data).
md_scsi_debug_args() {
	md_on || return 0
	echo "add_host=$SCN_MD_MEMBERS per_host_store=1"
}

md_kname() {
	local d=${1#/dev/}
	[ "$1" != "${FLAKEY_DEV:-}" ] || d=$(dev_dm_kname "$FLAKEY_NAME")
	echo "${d#mapper/}"
}

md_setup() {
	local i bitmap=$SCN_MD_BITMAP dir n start names=() sep=""
	md_on || return 0
	MD_MEMBERS=("$TOP_DEV")
	for ((i = 1; i < SCN_MD_MEMBERS && i < ${#SCSI_DEBUG_DEVICES[@]}; i++)); do
		MD_MEMBERS+=("/dev/${SCSI_DEBUG_DEVICES[i]}")
		[ -z "$SCN_STABLE_WRITES" ] ||
			dev_stable_writes "${SCSI_DEBUG_DEVICES[i]}" "$SCN_STABLE_WRITES" >/dev/null
	done
	if [ ${#MD_MEMBERS[@]} -ne "$SCN_MD_MEMBERS" ]; then
		log "md: ${#SCSI_DEBUG_DEVICES[@]} scsi_debug disk(s) for $SCN_MD_MEMBERS members"
		return 1
	fi
	if [ "$bitmap" = file ]; then
		dir=$(dev_md_bitmap_fs 32) || return 1
		MD_BITMAP_FILE=$dir/md-bitmap
		bitmap=$MD_BITMAP_FILE
	fi
	log "mdadm --create $MD_DEV --level=$SCN_MD_LEVEL --raid-devices=$SCN_MD_MEMBERS --assume-clean --bitmap=$bitmap ${MD_MEMBERS[*]}"
	if ! dev_md_create "$SCN_MD_LEVEL" "$bitmap" "${MD_MEMBERS[@]}" >>"$OUT/steps.log" 2>&1; then
		log "md: mdadm --create failed: $MD_ERR"
		[ "$SCN_MD_BITMAP" = file ] || return 1
		# the same array without the file: if that works, the file is refused
		local why=$MD_ERR
		dev_md_stop "$MD_DEV"
		dev_md_create "$SCN_MD_LEVEL" none "${MD_MEMBERS[@]}" >>"$OUT/steps.log" 2>&1 || return 1
		_skip_scenario "md bitmap file refused (kernel $(uname -r), $(mdadm --version 2>&1 | cut -d' ' -f1-3)): $why"
	fi
	TOP_DEV=$MD_DEV
	for i in "${MD_MEMBERS[@]}"; do
		names+=("$sep\"$(md_kname "$i")\"")
		sep=,
	done
	MD_FACTS[members]="[$(printf '%s' "${names[@]}")]"
	md_fact dev "$MD_KNAME"
	md_fact level "$SCN_MD_LEVEL"
	md_fact bitmap "$SCN_MD_BITMAP"
	md_fact mdadm "$(mdadm --version 2>&1 | head -n 1)"
	md_fact integrity_format "$(dev_integrity_format "$MD_KNAME")"
	md_fact stable_writes_initial "$(dev_stable_writes "$MD_KNAME")"
	if [ -n "$SCN_MD_SKIP_COPY" ]; then
		md_fact skip_copy "$(dev_md_attr "$MD_KNAME" skip_copy "$SCN_MD_SKIP_COPY")"
		md_fact stable_writes_after_skip_copy "$(dev_stable_writes "$MD_KNAME")"
	fi
	[ -z "$SCN_STABLE_WRITES" ] ||
		md_fact stable_writes_set "$(dev_stable_writes "$MD_KNAME" "$SCN_STABLE_WRITES")"
	start=$SECONDS
	n=$(dev_md_check "$MD_KNAME") || {
		log "md: the initial check did not finish"
		return 1
	}
	md_fact mismatch_initial "$n"
	md_fact check_initial_s "$((SECONDS - start))"
	log "md: $MD_KNAME $(cat "/sys/block/$MD_KNAME/md/array_state"), initial mismatch_cnt $n"
	[ "$n" = 0 ] || {
		log "md: the array does not start consistent"
		return 1
	}
}

# md_observe: after the steps, the filesystem unmounted (nothing left in
# flight), a full check; its mismatch_cnt is the md:mismatch channel.
md_observe() {
	local n start
	md_on || return 0
	[ -z "$MD_READER" ] || wait "$MD_READER" 2>/dev/null || true
	md_collect_reads
	case $SCN_FS in raw | tmpfs) ;; *) dev_unmount "$MNT" ;; esac
	sync
	md_fact degraded "$(dev_md_attr "$MD_KNAME" degraded)"
	log "md: check"
	start=$SECONDS
	if ! n=$(dev_md_check "$MD_KNAME"); then
		log "md: the check did not finish"
		md_fact mismatch_cnt null
		return 1
	fi
	md_fact mismatch_cnt "$n"
	md_fact check_s "$((SECONDS - start))"
	log "md: mismatch_cnt $n"
	[ -z "$MD_BITMAP_FILE" ] || md_examine_bitmap
}

# md_examine_bitmap: stop the array, then mdadm -X must parse the file.
md_examine_bitmap() {
	local out rc=0
	dev_md_stop "$MD_DEV"
	out=$(mdadm -X "$MD_BITMAP_FILE" 2>&1) || rc=$?
	echo "$out" >>"$OUT/steps.log"
	md_fact bitmap_examine_exit "$rc"
	md_fact bitmap_examine "$(grep -E 'Events|Bitmap :' <<<"$out" | tr -s ' \n' ' ')"
	log "md: mdadm -X after stop: exit $rc"
}

# md_cleaned: after the undo stack, the arrays still there ("" = none).
md_cleaned() {
	md_on || return 0
	md_fact left "$(dev_md_active)"
}

# md_read_bitmap TAG: the bitmap file read through the page cache and
# with O_DIRECT, one JSON object (the seed: md writes the file's blocks
# beside its page cache, so only O_DIRECT sees the bitmap as it is).
md_read_bitmap() {
	local b d
	b=$(sha256sum <"$MD_BITMAP_FILE" | cut -c1-64)
	d=$(dd if="$MD_BITMAP_FILE" iflag=direct bs=4096 2>/dev/null | sha256sum | cut -c1-64)
	printf '{"at":"%s","buffered_sha256":"%s","direct_sha256":"%s","differ":%s}\n' \
		"$1" "$b" "$d" "$([ "$b" = "$d" ] && echo false || echo true)"
}

md_collect_reads() {
	local f
	for f in "$OUT"/md-bitmap-read.*; do
		[ -s "$f" ] || continue
		MD_BITMAP_READS+=("$(cat "$f")")
		rm -f "$f"
	done
	md_write
}

# ----------------------------------------------------------------- md steps

# md_fail [N]: mark member N (default 0) faulty, as a failing disk would.
step_md_fail() {
	local m=${MD_MEMBERS[${1:-0}]}
	log "md: fail $m"
	mdadm "$MD_DEV" --fail "$m" >>"$OUT/steps.log" 2>&1
}

# md_readd: the array must be degraded; remove the faulty members and
# re-add them (a bitmap resync), --add where re-add is refused; wait for
# the recovery.
step_md_readd() {
	local d kname how start deg
	deg=$(dev_md_attr "$MD_KNAME" degraded)
	md_fact degraded_before_readd "$deg"
	if [ "$deg" = 0 ]; then
		log "md: md_readd: the array is not degraded (no member failed)"
		return 1
	fi
	for d in /sys/block/"$MD_KNAME"/md/dev-*; do
		grep -q faulty "$d/state" 2>/dev/null || continue
		kname=${d##*/dev-}
		log "md: remove and re-add $kname"
		mdadm "$MD_DEV" --remove "/dev/$kname" >>"$OUT/steps.log" 2>&1 || return 1
		how=re-add
		mdadm "$MD_DEV" --re-add "/dev/$kname" >>"$OUT/steps.log" 2>&1 || {
			how=add
			mdadm --zero-superblock "/dev/$kname" >>"$OUT/steps.log" 2>&1
			mdadm "$MD_DEV" --add "/dev/$kname" >>"$OUT/steps.log" 2>&1 || return 1
		}
		md_fact readd "$how"
	done
	start=$SECONDS
	sleep 1
	dev_md_wait_idle "$MD_KNAME" $((SECONDS + 600)) || return 1
	md_fact recovery_s "$((SECONDS - start))"
	md_fact degraded_after_readd "$(dev_md_attr "$MD_KNAME" degraded)"
	log "md: degraded $(dev_md_attr "$MD_KNAME" degraded) after $((SECONDS - start)) s"
}

# md_bitmap_read [AFTER_S]: read the external bitmap file buffered and
# with O_DIRECT now, or AFTER_S seconds into the next step (background).
step_md_bitmap_read() {
	local n=${#MD_BITMAP_READS[@]}
	[ -n "$MD_BITMAP_FILE" ] || {
		log "md_bitmap_read: the array has no bitmap file (md_bitmap = file)"
		return 1
	}
	if [ -z "${1:-}" ]; then
		md_read_bitmap now >"$OUT/md-bitmap-read.$n"
		md_collect_reads
		return 0
	fi
	(
		sleep "$1"
		md_read_bitmap "after ${1}s" >"$OUT/md-bitmap-read.bg"
	) &
	MD_READER=$!
}
