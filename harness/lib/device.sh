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
#   dev_mount FS DEV MNT [OPTIONS]    mount, and undo it later
#   dev_unmount MNT                   thaw, unmount (retrying), or lazily

DEV_DIR=""
DEV_UNDO=""

dev_init() {
	DEV_DIR=$1
	DEV_UNDO=$DEV_DIR/undo
	mkdir -p "$DEV_DIR"
	: >>"$DEV_UNDO"
}

# dev_undo_push CMD [ARGS...]: one shell-quoted line per undo action.
dev_undo_push() {
	[ -n "$DEV_UNDO" ] || {
		echo "device.sh: dev_init was not called" >&2
		return 1
	}
	printf '%q ' "$@" >>"$DEV_UNDO"
	echo >>"$DEV_UNDO"
}

dev_undo_all() {
	local line
	[ -n "$DEV_UNDO" ] && [ -s "$DEV_UNDO" ] || return 0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		eval "$line" >/dev/null 2>&1 || true
	done < <(tac "$DEV_UNDO")
	: >"$DEV_UNDO"
}

# dev_loop SIZE_MB [SECTOR_SIZE]: print the new /dev/loopN.
dev_loop() {
	local size_mb=$1 ss=${2:-512} img dev
	img=$(mktemp "$DEV_DIR/loop.XXXXXX.img") || return 1
	dev_undo_push rm -f "$img"
	truncate -s "${size_mb}M" "$img" || return 1
	dev=$(losetup -f --show -b "$ss" "$img") || return 1
	dev_undo_push losetup -d "$dev"
	echo "$dev"
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
	*)
		echo "dev_mkfs: unknown filesystem $fs" >&2
		return 1
		;;
	esac
}

# dev_mount FS DEV MNT [OPTIONS]
dev_mount() {
	local fs=$1 dev=$2 mnt=$3 opts=()
	[ -n "${4:-}" ] && opts=(-o "$4")
	mkdir -p "$mnt"
	mount -t "$fs" "${opts[@]}" "$dev" "$mnt" || return 1
	dev_undo_push dev_unmount "$mnt"
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
