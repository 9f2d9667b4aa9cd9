#!/bin/bash
# OCFS2 for the device library (sourced after device.sh, not run; runs
# under bash with busybox or coreutils).  Issue #11, seed 003.
#
#   ocfs2_prepare MODE              modules, and for o2cb a one-node
#                                   cluster (configfs) with o2dlm; undo
#                                   entries for everything it starts
#   ocfs2_mkfs_args MODE            mkfs.ocfs2 options for MODE
#   ocfs2_facts MNT                 JSON object for result.json's ocfs2
#   ocfs2_cluster_start NODE_NUM NAME=IP...   the o2cb cluster in
#                                   configfs (node NAME_i gets number i)
#   ocfs2_cluster_stop              heartbeat regions, nodes, cluster
#
# Modes:
#   local   mkfs.ocfs2 -M local: no cluster stack, no DLM, no heartbeat
#           (the kernel takes its locks locally: ocfs2_mount_local)
#   o2cb    a cluster volume of the classic o2cb stack: the node is
#           registered in configfs by hand (no o2cb init script in the
#           guest, no /etc/ocfs2/cluster.conf), mount.ocfs2 starts the
#           disk heartbeat region (libo2cb writes the device's fd into
#           heartbeat/UUID/dev) and the kernel's o2dlm takes the locks.
#
# mkfs.ocfs2 and mount.ocfs2 come from the host's ocfs2-tools (Debian 12:
# 1.8.7), copied into the initramfs with their libraries
# (harness/lib/initramfs.sh, OCFS2_TOOLS and OCFS2_MODULES below).

OCFS2_CLUSTER=wac
OCFS2_PORT=7777
OCFS2_CONFIGFS=/sys/kernel/config
OCFS2_DLMFS=/dlm
# what the initramfs carries for this file (initramfs.sh appends them)
# shellcheck disable=SC2034
OCFS2_TOOLS="mkfs.ocfs2 mount.ocfs2 mounted.ocfs2 tunefs.ocfs2 debugfs.ocfs2
	fsck.ocfs2 o2cb o2cb_ctl ocfs2_hb_ctl"
# shellcheck disable=SC2034
OCFS2_MODULES="configfs ocfs2 ocfs2_stackglue ocfs2_stack_o2cb ocfs2_nodemanager
	ocfs2_dlm ocfs2_dlmfs virtio_net virtio_blk"

# ocfs2_mkfs_args MODE: one small volume, few slots (the disks are small:
# each slot gets a journal).
ocfs2_mkfs_args() {
	case $1 in
	local) echo "-M local -N 1 -J size=8M" ;;
	o2cb) echo "-M cluster --cluster-stack=o2cb --cluster-name=$OCFS2_CLUSTER -N 2 -J size=8M" ;;
	*)
		echo "ocfs2: unknown mode $1" >&2
		return 1
		;;
	esac
}

# ocfs2_modules MODE: the kernel side (configfs may be built in).
ocfs2_modules() {
	local m
	modprobe configfs 2>/dev/null || true
	modprobe ocfs2 || return 1
	[ "$1" = o2cb ] || return 0
	for m in ocfs2_stack_o2cb ocfs2_dlmfs; do
		modprobe "$m" || return 1
	done
}

# ocfs2_prepare MODE [NODE_NUM NAME=IP...]: modules; for o2cb the
# cluster (default: this node alone on the loopback).
ocfs2_prepare() {
	local mode=$1
	shift
	ocfs2_modules "$mode" || return 1
	[ "$mode" = o2cb ] || return 0
	if [ $# -eq 0 ]; then
		set -- 0 "wacnode0=127.0.0.1"
	fi
	ocfs2_cluster_start "$@"
}

# ocfs2_configfs: mounted at /sys/kernel/config (undone only if mounted here).
ocfs2_configfs() {
	grep -q " $OCFS2_CONFIGFS configfs " /proc/mounts && return 0
	mount -t configfs none "$OCFS2_CONFIGFS" || return 1
	dev_undo_push umount "$OCFS2_CONFIGFS"
}

# ocfs2_cluster_start NODE_NUM NAME=IP...: the nodes of cluster "wac";
# node NODE_NUM is this one (its name becomes the hostname: o2cb tools
# find the local node by it).  The stack's own checks: the cluster_stack
# file says o2cb, dlmfs mounted at /dlm (mount.ocfs2 and o2cb tools look).
ocfs2_cluster_start() {
	local me=$1 i=0 pair name ip dir
	shift
	ocfs2_configfs || return 1
	# o2net listens on the local node's address once "local" is set
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || return 1
	[ -d "$OCFS2_CONFIGFS/cluster" ] || {
		echo "ocfs2: no $OCFS2_CONFIGFS/cluster (ocfs2_nodemanager not loaded?)" >&2
		return 1
	}
	[ -e /sys/fs/ocfs2/cluster_stack ] && echo o2cb >/sys/fs/ocfs2/cluster_stack 2>/dev/null
	dir=$OCFS2_CONFIGFS/cluster/$OCFS2_CLUSTER
	dev_undo_push ocfs2_cluster_stop
	mkdir "$dir" || return 1
	for pair in "$@"; do
		name=${pair%%=*} ip=${pair#*=}
		mkdir "$dir/node/$name" || return 1
		# o2nm takes num only after the address and port (EINVAL)
		echo "$ip" >"$dir/node/$name/ipv4_address" || return 1
		echo "$OCFS2_PORT" >"$dir/node/$name/ipv4_port" || return 1
		echo "$i" >"$dir/node/$name/num" || return 1
		if [ "$i" -eq "$me" ]; then
			hostname "$name" 2>/dev/null || echo "$name" >/proc/sys/kernel/hostname
			echo 1 >"$dir/node/$name/local" || return 1
		fi
		i=$((i + 1))
	done
	mkdir -p "$OCFS2_DLMFS"
	if ! grep -q " $OCFS2_DLMFS ocfs2_dlmfs " /proc/mounts; then
		mount -t ocfs2_dlmfs ocfs2_dlmfs "$OCFS2_DLMFS" || return 1
		dev_undo_push umount "$OCFS2_DLMFS"
	fi
}

# ocfs2_cluster_stop: what a failed or finished run left: heartbeat
# regions (the kernel's ocfs2_hb_ctl call at umount normally stops
# them), then the nodes, then the cluster.  Never fails.
ocfs2_cluster_stop() {
	local dir=$OCFS2_CONFIGFS/cluster/$OCFS2_CLUSTER d
	[ -d "$dir" ] || return 0
	for d in "$dir"/heartbeat/*/; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	for d in "$dir"/node/*/; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rmdir "$dir" 2>/dev/null
	return 0
}

# ocfs2_facts MODE MNT: result.json's ocfs2 object: the mode, this node,
# the cluster's nodes and heartbeat regions as configfs shows them, and
# the fs type /proc/mounts gives for MNT.
ocfs2_facts() {
	local mode=$1 mnt=$2 dir=$OCFS2_CONFIGFS/cluster/$OCFS2_CLUSTER nodes=0 hb=0 d fstype
	fstype=$(awk -v m="$mnt" '$2 == m { print $3 }' /proc/mounts | tail -n 1)
	if [ -d "$dir" ]; then
		for d in "$dir"/node/*/; do [ -d "$d" ] && nodes=$((nodes + 1)); done
		for d in "$dir"/heartbeat/*/; do [ -d "$d" ] && hb=$((hb + 1)); done
	fi
	printf '{"mode":"%s","fs_type":"%s","node":%s,"cluster_nodes":%s,"heartbeat_regions":%s}' \
		"$mode" "${fstype:-none}" "${OCFS2_NODE_NUM:-0}" "$nodes" "$hb"
}
