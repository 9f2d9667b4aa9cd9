#!/bin/bash
# Device and fault helpers, blktests/fstests style (sourced, not run).
#
# Used inside the VM and by the native backend alike.  Modeled on blktests
# common/scsi_debug (_init_scsi_debug/_exit_scsi_debug) and fstests
# common/dmflakey (named tables, suspend --nolockfs, resume before unmount).

# Every _require_* check calls _skip_scenario with a reason; the scenario
# runner turns that into outcome "skip".
_skip_scenario() {
	echo "skip: $*" >&2
	echo "$*" >"${SKIP_FILE:-/dev/null}"
	exit 77
}

_have_module() {
	local m=$1
	[ -d "/sys/module/${m//-/_}" ] && return 0
	modprobe -n "$m" >/dev/null 2>&1
}

_require_module() {
	_have_module "$1" || _skip_scenario "module $1 is not available in kernel $(uname -r)"
}

_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || _skip_scenario "command $c not found"
	done
}

_require_root() {
	[ "$(id -u)" -eq 0 ] || _skip_scenario "needs root"
}

_require_fs() {
	case $1 in
	raw) return 0 ;;
	esac
	_require_cmd "mkfs.$1"
	grep -qw "$1" /proc/filesystems || modprobe "$1" >/dev/null 2>&1 ||
		_skip_scenario "filesystem $1 is not available in kernel $(uname -r)"
}

# ---------------------------------------------------------------- scsi_debug

SCSI_DEBUG_HOSTS=()
SCSI_DEBUG_DEVICES=()

# _init_scsi_debug [PARAM=VALUE...]: load a fresh scsi_debug with the given
# module parameters (dif= dix= guard= sector_size= dev_size_mb= opts=
# every_nth=...) and set SCSI_DEBUG_DEVICES to its disks (sda...).
_init_scsi_debug() {
	local host_sysfs host target_sysfs
	_exit_scsi_debug || return 1
	modprobe sd_mod 2>/dev/null || true
	modprobe scsi_debug "$@" || return 1
	SCSI_DEBUG_HOSTS=()
	SCSI_DEBUG_DEVICES=()
	for _ in $(seq 50); do
		for host_sysfs in /sys/class/scsi_host/*; do
			[ "$(cat "$host_sysfs/proc_name" 2>/dev/null)" = scsi_debug ] || continue
			host=${host_sysfs#/sys/class/scsi_host/host}
			SCSI_DEBUG_HOSTS+=("$host")
			for target_sysfs in /sys/class/scsi_device/"$host":*; do
				[ -d "$target_sysfs/device/block" ] || continue
				SCSI_DEBUG_DEVICES+=("$(ls "$target_sysfs/device/block")")
			done
		done
		if [ "${#SCSI_DEBUG_DEVICES[@]}" -gt 0 ] && [ -b "/dev/${SCSI_DEBUG_DEVICES[0]}" ]; then
			return 0
		fi
		SCSI_DEBUG_HOSTS=()
		SCSI_DEBUG_DEVICES=()
		sleep 0.2
	done
	echo "scsi_debug loaded but no disk appeared" >&2
	return 1
}

# _exit_scsi_debug: unload scsi_debug (retrying while the disk settles).
_exit_scsi_debug() {

	[ -d /sys/module/scsi_debug ] || return 0
	for _ in $(seq 20); do
		modprobe -r scsi_debug 2>/dev/null && return 0
		sleep 0.5
	done
	echo "cannot unload scsi_debug" >&2
	return 1
}

# _stable_writes DEV [VALUE]: read, or set then read, queue/stable_writes.
_stable_writes() {
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

# _integrity_format DEV: the block integrity profile ("none" when the
# device has none), or "unavailable" without the sysfs file.
_integrity_format() {
	cat "/sys/block/$1/integrity/format" 2>/dev/null || echo unavailable
}

# ------------------------------------------------------------------ dm-flakey

FLAKEY_NAME=wac-flakey
FLAKEY_DEV=/dev/mapper/$FLAKEY_NAME
FLAKEY_BASE=""
export DM_DISABLE_UDEV=1

# _flakey_table SPEC: the dm table for a named mode or raw flakey
# parameters.  Named modes, as in fstests common/dmflakey:
#   allow          all I/O passes (up 180 s, down 0)
#   drop_writes    writes are silently dropped, reads pass
#   error_writes   writes fail with EIO, reads pass
#   error_reads    reads fail with EIO, writes pass (kernel 6.5+)
# Anything else is "UP DOWN [NFEATURES FEATURE...]" after the offset.
_flakey_table() {
	local spec=$1 size
	size=$(blockdev --getsz "/dev/$FLAKEY_BASE")
	case $spec in
	allow) echo "0 $size flakey /dev/$FLAKEY_BASE 0 180 0" ;;
	drop_writes | error_writes | error_reads)
		echo "0 $size flakey /dev/$FLAKEY_BASE 0 0 180 1 $spec" ;;
	*) echo "0 $size flakey /dev/$FLAKEY_BASE 0 $spec" ;;
	esac
}

# _dm_kname NAME: the kernel name (dm-N) of a device-mapper device.  Not
# readlink: without udev, /dev/mapper/NAME is a node, not a link.
_dm_kname() {
	local d
	for d in /sys/block/dm-*; do
		[ "$(cat "$d/dm/name" 2>/dev/null)" = "$1" ] && basename "$d" && return 0
	done
	return 1
}

# _init_flakey BASEDEV [SPEC]: create the flakey device over BASEDEV.
_init_flakey() {
	FLAKEY_BASE=$1
	local table
	table=$(_flakey_table "${2:-allow}")
	echo "flakey table: $table"
	dmsetup create "$FLAKEY_NAME" --table "$table" || {
		_require_flakey_table "${2:-allow}"
		return 1
	}
	[ -b "$FLAKEY_DEV" ] || dmsetup mknodes "$FLAKEY_NAME"
}

# _require_flakey_table SPEC: skip when this kernel's dm-flakey rejects the
# table (older kernels lack error_reads and random_*_corrupt).
_require_flakey_table() {
	local table
	table=$(_flakey_table "$1")
	dmsetup create wac-flakey-probe --table "$table" >/dev/null 2>&1 ||
		_skip_scenario "dm-flakey in $(uname -r) rejects table '$1'"
	dmsetup remove wac-flakey-probe
}

# _load_flakey_table SPEC [lockfs]: switch the flakey table.  Like fstests,
# suspend with --nolockfs unless asked: a frozen fs would flush first.
_load_flakey_table() {
	local table lockfs=--nolockfs
	[ "${2:-}" = lockfs ] && lockfs=""
	table=$(_flakey_table "$1")
	echo "flakey table: $table"
	# shellcheck disable=SC2086
	dmsetup suspend $lockfs "$FLAKEY_NAME" || return 1
	if ! dmsetup load "$FLAKEY_NAME" --table "$table"; then
		dmsetup resume "$FLAKEY_NAME"
				_require_flakey_table "$1"
		return 1
	fi
	dmsetup resume "$FLAKEY_NAME" || return 1
	}

# _cleanup_flakey: resume (a suspended device would hang the unmount),
# then remove.  The caller unmounts between the two.
_resume_flakey() {
	_dm_kname "$FLAKEY_NAME" >/dev/null || return 0
	dmsetup resume "$FLAKEY_NAME" 2>/dev/null || true
	}

_remove_flakey() {
	dmsetup info "$FLAKEY_NAME" >/dev/null 2>&1 || return 0
	for _ in $(seq 10); do
		dmsetup remove "$FLAKEY_NAME" 2>/dev/null && return 0
		sleep 0.5
	done
	dmsetup remove --force "$FLAKEY_NAME"
}

# --------------------------------------------------------------- filesystems

# _mkfs FS DEV [OPTIONS...]
_mkfs() {
	local fs=$1 dev=$2
	shift 2
	case $fs in
	ext4) mkfs.ext4 -q -F "$@" "$dev" ;;
	xfs) mkfs.xfs -q -f "$@" "$dev" ;;
	btrfs) mkfs.btrfs -q -f "$@" "$dev" ;;
	*) echo "unknown filesystem $fs" >&2; return 1 ;;
	esac
}

# _unmount_all MOUNTPOINT: unmount, thawing first if frozen.
_unmount_all() {
	local mnt=$1
	grep -q " $mnt " /proc/mounts || return 0
	fsfreeze -u "$mnt" 2>/dev/null || true
	for _ in $(seq 10); do
		umount "$mnt" 2>/dev/null && return 0
		sleep 0.5
	done
	umount -l "$mnt"
}
