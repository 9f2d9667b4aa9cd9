#!/bin/bash
# The device library: every block device, filesystem and mount the suite
# makes, in one place, each undone in reverse order by one cleanup stack
# (sourced, not run).  Used by the guest, harness/cost, harness/nightly and
# tests/host alike; runs under bash with busybox or coreutils.
#
#   dev_init DIR            the stack lives in DIR/undo (a file, so that
#                           pushes made in subshells are undone too)
#   dev_undo_push CMD...    undo CMD when the stack unwinds
#   dev_undo_all            unwind: last made, first undone; never fails
#   dev_loop SIZE_MB [SS]   a loop device over a sparse image in DIR
#   dev_stable_writes KNAME [VALUE]   read, or set then read, the flag
#   dev_integrity_format KNAME
#   dev_mkfs FS DEV [OPTIONS...]
#   dev_prefill_foreign DEV WAC [SEED]  DEV full of another wac run's
#                           records (prefill_device = foreign)
#   dev_mount FS DEV MNT [OPTIONS]    mount, and undo it later
#   dev_unmount MNT                   thaw, unmount (retrying), or lazily
#   dev_scsi_debug PARAM=VALUE...     a freshly loaded scsi_debug; its
#                                     disks in SCSI_DEBUG_DEVICES (sda ...)
#   dev_flakey BASE_KNAME [SPEC]      dm-flakey over /dev/BASE_KNAME at
#                                     FLAKEY_DEV (tables as fstests'
#                                     common/dmflakey)
#   dev_flakey_load SPEC [lockfs]     switch its table
#   dev_dm_kname NAME                 dm-N of a device-mapper device
#   dev_tmpfs MNT SIZE_MB             a tmpfs (no block device)
#   dev_overlay MNT BASE              overlayfs at MNT, lower/upper/work
#                                     directories under the mounted BASE
#   dev_zram_swap SIZE_MB             a zram swap device (swapoff, reset)
#   dev_pmem                          the VM's persistent memory as an
#                                     fsdax namespace: /dev/pmemN
#   md arrays: harness/lib/md.sh, sourced after this file
#
# Modeled on blktests common/scsi_debug and fstests common/dmflakey.

DEV_DIR=""
DEV_UNDO=""

dev_init() {
	DEV_DIR=$1
	DEV_UNDO=$DEV_DIR/undo
	mkdir -p "$DEV_DIR"
	: >>"$DEV_UNDO"
}

# dev_undo_push CMD [ARGS...]: one shell-quoted line per undo action.
# Pushed *before* the action it undoes, with an undo that is harmless
# when the action never happened: a signal between the two then leaves
# nothing behind.
dev_undo_push() {
	[ -n "$DEV_UNDO" ] || {
		echo "device.sh: dev_init was not called" >&2
		return 1
	}
	printf '%q ' "$@" >>"$DEV_UNDO"
	echo >>"$DEV_UNDO"
}

# dev_undo_all: every undo action, newest first.  (No process
# substitution: a guest without udev has no /dev/fd, and the loop would
# silently undo nothing.)
dev_undo_all() {
	local line lines i
	[ -n "$DEV_UNDO" ] && [ -s "$DEV_UNDO" ] || return 0
	mapfile -t lines <"$DEV_UNDO"
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		line=${lines[i]}
		[ -n "$line" ] || continue
		eval "$line" >/dev/null 2>&1 || true
	done
	# the last action may have removed the undo file's own directory
	if [ -e "$DEV_UNDO" ]; then
		: >"$DEV_UNDO"
	fi
}

# dev_loop SIZE_MB [SECTOR_SIZE]: print the new /dev/loopN.
dev_loop() {
	local size_mb=$1 ss=${2:-512} img dev
	img=$(mktemp "$DEV_DIR/loop-img.XXXXXX") || return 1  # busybox: X last
	dev_undo_push rm -f "$img"
	truncate -s "${size_mb}M" "$img" || return 1
	dev_undo_push dev_loop_detach "$img"
	dev=$(losetup -f --show -b "$ss" "$img") || return 1
	echo "$dev"
}

# dev_loop_detach IMG: the loop devices over IMG, if any.
dev_loop_detach() {
	local dev
	for dev in $(losetup -j "$1" 2>/dev/null | cut -d: -f1); do
		losetup -d "$dev"
	done
}

# dev_stable_writes KNAME [VALUE]: "null" when the device has no flag.
dev_stable_writes() {
	local f=/sys/block/$1/queue/stable_writes
	[ -e "$f" ] || {
		echo null
		return 0
	}
	if [ $# -gt 1 ]; then
		echo "$2" >"$f" 2>/dev/null || true
	fi
	cat "$f"
}

# dev_integrity_format KNAME: the block integrity profile ("none" when the
# device has none), or "unavailable" without the sysfs file.
dev_integrity_format() {
	cat "/sys/block/$1/integrity/format" 2>/dev/null || echo unavailable
}

# dev_mkfs FS DEV [OPTIONS...]
dev_mkfs() {
	local fs=$1 dev=$2
	shift 2
	case $fs in
	ext4) mkfs.ext4 -q -F "$@" "$dev" ;;
	xfs) mkfs.xfs -q -f "$@" "$dev" ;;
	btrfs) mkfs.btrfs -q -f "$@" "$dev" >/dev/null ;;
	# ocfs2: the mode's options come first (harness/lib/ocfs2.sh)
	ocfs2) mkfs.ocfs2 -q -F "$@" "$dev" </dev/null ;;
	*)
		echo "dev_mkfs: unknown filesystem $fs" >&2
		return 1
		;;
	esac
}

# dev_prefill_foreign DEV WAC [SEED]: every sector of DEV a record of a
# run that is not the one about to be judged (wac --prefill-only), so that
# a block a filesystem hands out without zeroing reads back as foreign or
# exposed.  Prints the size filled.
dev_prefill_foreign() {
	local dev=$1 bin=$2 seed=${3:-1} kname bytes
	kname=$(basename "$(readlink -f "$dev")")
	bytes=$(cat "/sys/class/block/$kname/size") || return 1
	bytes=$((bytes * 512))
	if [ "$bytes" -eq 0 ]; then
		echo "dev_prefill_foreign: $dev has no sectors" >&2
		return 1
	fi
	"$bin" -q --prefill-only --seed "$seed" -s "$bytes" "$dev" || return 1
	echo "$bytes"
}

# dev_mount FS DEV MNT [OPTIONS]
dev_mount() {
	local fs=$1 dev=$2 mnt=$3 opts=()
	[ -n "${4:-}" ] && opts=(-o "$4")
	mkdir -p "$mnt"
	dev_undo_push dev_unmount "$mnt"
	mount -t "$fs" "${opts[@]}" "$dev" "$mnt" || return 1
}

dev_unmount() {
	local mnt=$1
	grep -q " $mnt " /proc/mounts || return 0
	fsfreeze -u "$mnt" 2>/dev/null || true
	for _ in $(seq 10); do
		umount "$mnt" 2>/dev/null && return 0
		sleep 0.5
	done
	umount -l "$mnt"
}

# ---------------------------------------------------------------- scsi_debug

SCSI_DEBUG_DEVICES=()

# dev_scsi_debug [PARAM=VALUE...]: load a fresh scsi_debug with the given
# module parameters (dif= dix= guard= sector_size= dev_size_mb= opts= ...),
# wait for its disks, and unload it last when the stack unwinds.
dev_scsi_debug() {
	local host_sysfs target_sysfs
	dev_scsi_debug_unload || return 1
	modprobe sd_mod 2>/dev/null || true
	dev_undo_push dev_scsi_debug_unload
	modprobe scsi_debug "$@" || return 1
	for _ in $(seq 50); do
		SCSI_DEBUG_DEVICES=()
		for host_sysfs in /sys/class/scsi_host/*; do
			[ "$(cat "$host_sysfs/proc_name" 2>/dev/null)" = scsi_debug ] || continue
			for target_sysfs in /sys/class/scsi_device/"${host_sysfs#/sys/class/scsi_host/host}":*; do
				[ -d "$target_sysfs/device/block" ] || continue
				SCSI_DEBUG_DEVICES+=("$(ls "$target_sysfs/device/block")")
			done
		done
		# SCSI_DEBUG_WANT: disks to wait for (add_host=N gives N)
		if [ "${#SCSI_DEBUG_DEVICES[@]}" -ge "${SCSI_DEBUG_WANT:-1}" ] &&
			[ -b "/dev/${SCSI_DEBUG_DEVICES[-1]}" ]; then
			return 0
		fi
		sleep 0.2
	done
	echo "scsi_debug loaded but no disk appeared" >&2
	return 1
}

# dev_scsi_debug_unload: unload scsi_debug (retrying while the disk settles).
dev_scsi_debug_unload() {
	[ -d /sys/module/scsi_debug ] || return 0
	for _ in $(seq 20); do
		modprobe -r scsi_debug 2>/dev/null && return 0
		sleep 0.5
	done
	echo "cannot unload scsi_debug" >&2
	return 1
}

# ------------------------------------------------------------------ dm-flakey

FLAKEY_NAME=wac-flakey
FLAKEY_DEV=/dev/mapper/$FLAKEY_NAME
FLAKEY_BASE=""
export DM_DISABLE_UDEV=1

# dev_flakey_table SPEC: the dm table for a named mode or raw parameters.
#   allow          all I/O passes (up 180 s, down 0)
#   drop_writes    writes are silently dropped, reads pass
#   error_writes   writes fail with EIO, reads pass
#   error_reads    reads fail with EIO, writes pass (kernel 6.5+)
#   linear         dm-linear, not flakey: the same pass-through by a target
#                  that passes the integrity profile up (DM_TARGET_PASSES_
#                  INTEGRITY), the control for flakey's lost stable pages
# Anything else is "UP DOWN [NFEATURES FEATURE...]" after the offset.
dev_flakey_table() {
	local spec=$1 size
	size=$(blockdev --getsz "/dev/$FLAKEY_BASE")
	case $spec in
	allow) echo "0 $size flakey /dev/$FLAKEY_BASE 0 180 0" ;;
	linear) echo "0 $size linear /dev/$FLAKEY_BASE 0" ;;
	drop_writes | error_writes | error_reads)
		echo "0 $size flakey /dev/$FLAKEY_BASE 0 0 180 1 $spec" ;;
	*) echo "0 $size flakey /dev/$FLAKEY_BASE 0 $spec" ;;
	esac
}

# dev_dm_kname NAME: the kernel name (dm-N).  Not readlink: without udev,
# /dev/mapper/NAME is a node, not a link.
dev_dm_kname() {
	local d
	for d in /sys/block/dm-*; do
		[ "$(cat "$d/dm/name" 2>/dev/null)" = "$1" ] && basename "$d" && return 0
	done
	return 1
}

# dev_flakey_accepts SPEC: does this kernel's dm-flakey take the table?
# (older kernels lack error_reads and random_*_corrupt)
dev_flakey_accepts() {
	local table
	table=$(dev_flakey_table "$1")
	dmsetup create wac-flakey-probe --table "$table" >/dev/null 2>&1 || return 1
	dmsetup remove wac-flakey-probe
}

# dev_flakey BASE_KNAME [SPEC]: create the flakey device; the stack
# resumes it (a suspended device would hang the unmount) and removes it.
dev_flakey() {
	local table
	FLAKEY_BASE=$1
	table=$(dev_flakey_table "${2:-allow}")
	echo "flakey table: $table"
	dev_undo_push dev_flakey_remove
	dmsetup create "$FLAKEY_NAME" --table "$table" || return 1
	[ -b "$FLAKEY_DEV" ] || dmsetup mknodes "$FLAKEY_NAME"
}

# dev_flakey_load SPEC [lockfs]: like fstests, suspend with --nolockfs
# unless asked: a frozen fs would flush first.
dev_flakey_load() {
	local table lockfs=--nolockfs
	[ "${2:-}" = lockfs ] && lockfs=""
	table=$(dev_flakey_table "$1")
	echo "flakey table: $table"
	dmsetup suspend $lockfs "$FLAKEY_NAME" || return 1
	if ! dmsetup load "$FLAKEY_NAME" --table "$table"; then
		dmsetup resume "$FLAKEY_NAME"
		return 1
	fi
	dmsetup resume "$FLAKEY_NAME"
}

# dev_flakey_resume: before an unmount (pushed by the mount's caller).
dev_flakey_resume() {
	dev_dm_kname "$FLAKEY_NAME" >/dev/null || return 0
	dmsetup resume "$FLAKEY_NAME" 2>/dev/null || true
}

dev_flakey_remove() {
	dmsetup info "$FLAKEY_NAME" >/dev/null 2>&1 || return 0
	dev_flakey_resume
	for _ in $(seq 10); do
		dmsetup remove "$FLAKEY_NAME" 2>/dev/null && return 0
		sleep 0.5
	done
	dmsetup remove --force "$FLAKEY_NAME"
}

# ------------------------------------------------------ tmpfs, overlay, swap

# dev_tmpfs MNT SIZE_MB: a tmpfs of SIZE_MB at MNT.
dev_tmpfs() {
	mkdir -p "$1"
	dev_undo_push dev_unmount "$1"
	mount -t tmpfs -o "size=${2}m" wac-tmpfs "$1" || return 1
}

# dev_overlay MNT BASE: overlayfs at MNT whose lower, upper and work
# directories live on the filesystem mounted at BASE (tmpfs, ext4 ...).
# The lower layer holds one file, so that the overlay is not empty.
dev_overlay() {
	local mnt=$1 base=$2
	mkdir -p "$base/lower" "$base/upper" "$base/work" "$mnt" || return 1
	echo "lower layer of the wac overlay" >"$base/lower/README"
	dev_undo_push dev_unmount "$mnt"
	mount -t overlay wac-overlay \
		-o "lowerdir=$base/lower,upperdir=$base/upper,workdir=$base/work" "$mnt" || return 1
}

# dev_zram_swap SIZE_MB: a zram disk of SIZE_MB as swap; print its path.
# Undo: swapoff, reset the disk, hot-remove it where zram-control exists.
dev_zram_swap() {
	local n dev
	modprobe zram num_devices=0 2>/dev/null || modprobe zram || return 1
	if [ -e /sys/class/zram-control/hot_add ]; then
		n=$(cat /sys/class/zram-control/hot_add) || return 1
	else
		n=0
	fi
	dev=/dev/zram$n
	dev_undo_push dev_zram_remove "$n"
	for _ in $(seq 20); do
		[ -b "$dev" ] && break
		sleep 0.1
	done
	echo "${1}M" >"/sys/block/zram$n/disksize" || return 1
	mkswap "$dev" >/dev/null || return 1
	swapon "$dev" || return 1
	echo "$dev"
}

dev_zram_remove() {
	swapoff "/dev/zram$1" 2>/dev/null
	echo 1 >"/sys/block/zram$1/reset" 2>/dev/null
	[ ! -e /sys/class/zram-control/hot_remove ] ||
		echo "$1" >/sys/class/zram-control/hot_remove 2>/dev/null
	return 0
}

# ------------------------------------------------------- persistent memory

# dev_pmem_namespace: the first namespace of the VM's persistent memory
# (an NVDIMM's NFIT region or a memmap= e820 region; harness/lib/vm.sh),
# "" when there is none.  Loads the region and pmem drivers.
dev_pmem_namespace() {
	local ns
	modprobe nfit 2>/dev/null || true
	modprobe nd_e820 2>/dev/null || true
	modprobe nd_pmem 2>/dev/null || true
	for _ in $(seq 25); do
		for ns in /sys/bus/nd/devices/namespace*.0; do
			[ -e "$ns/size" ] && [ "$(cat "$ns/size")" != 0 ] && basename "$ns" && return 0
		done
		sleep 0.2
	done
	return 1
}

# dev_pmem: the namespace reconfigured as fsdax (struct pages for its
# memory, which filesystem DAX needs); print /dev/pmemN.  The undo puts
# it back to raw mode, as the VM booted it.
dev_pmem() {
	local ns out blk
	ns=$(dev_pmem_namespace) || {
		echo "dev_pmem: no persistent memory namespace (was the VM booted with pmem?)" >&2
		return 1
	}
	out=$(ndctl create-namespace --force --reconfig="$ns" --mode=fsdax 2>&1) || {
		echo "dev_pmem: ndctl create-namespace -e $ns --mode=fsdax: $out" >&2
		return 1
	}
	dev_undo_push dev_pmem_remove "$ns"
	blk=$(echo "$out" | sed -n 's/.*"blockdev":"\([^"]*\)".*/\1/p' | head -n 1)
	for _ in $(seq 25); do
		[ -n "$blk" ] && [ -b "/dev/$blk" ] && echo "/dev/$blk" && return 0
		sleep 0.2
	done
	echo "dev_pmem: no block device after ndctl: $out" >&2
	return 1
}

# dev_pmem_remove NAMESPACE: back to raw mode (the pmem block device of
# the fsdax personality goes away).
dev_pmem_remove() {
	ndctl create-namespace --force --reconfig="$1" --mode=raw >/dev/null 2>&1
}
