#!/bin/bash
# One node of the two-node OCFS2 run (issue #11, seed 003), started by
# /init as the share's vm-main.sh (harness/ocfs2-two-node puts it there).
#
#   ocfs2-node.sh SHARE
#
# SHARE/node.env: NODE (0|1), WAC_ARGS (this node's wac run, with its
# --slice), WAC_SIZE_BYTES, SECONDS_MAX.  Both guests see one disk image
# (/dev/vda, share-rw=on) and talk only over a QEMU socket network
# between the two QEMU processes (eth0, 10.211.0.1 and .2, no route
# anywhere else).  Node 0 makes the volume and zero-fills wac's file once;
# then both nodes run wac on it at once, each on its own slice (disjoint
# sectors of the same pages: every write and fault takes the file's
# cluster lock from the other node, which writes back and invalidates its
# page cache of the file under its writers, mmappers and, on node 0 with
# G, churners: the seed's downconvert path).  Node 1 also reads wac's
# range in a loop meanwhile (PR locks).  After both stopped, each node
# verifies its slice again with its state file (the other node was still
# writing during the first verify).  The shared filesystem is the
# barrier: node1.ready, start, done0/done1, as files on the volume.
set -euo pipefail

SHARE=$1
OUT=$SHARE/out
MNT=/mnt/wac
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export TMPDIR=/tmp
# shellcheck disable=SC1091
. "$SHARE/node.env"
# shellcheck source=../lib/device.sh
. "$SHARE/guest/device.sh"
# shellcheck source=../lib/ocfs2.sh
. "$SHARE/guest/ocfs2.sh"

mkdir -p "$OUT"
LOG=$OUT/steps.log
log() { echo "wac-node$NODE: $*" | tee -a "$LOG"; }
declare -A R=([node]=$NODE [setup]='"failed"' [io_errors]=0 [rounds]=0 [wac_exit]=null
	[verify_exit]=null)
write_result() {
	local k sep=""
	{
		printf '{'
		for k in "${!R[@]}"; do printf '%s"%s":%s' "$sep" "$k" "${R[$k]}"; sep=,; done
		printf '}\n'
	} >"$OUT/result.json"
}

# net_up: the private link's address; no default route.
net_up() {
	modprobe virtio_net 2>/dev/null || true
	for _ in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.2; done
	ip link set lo up
	ip addr add "10.211.0.$((NODE + 1))/24" dev eth0
	ip link set eth0 up
}

# wait_for PATH SECONDS: a file another node makes on the shared volume
# (or, before the mount, the volume itself).
wait_for() {
	local deadline=$((SECONDS + $2))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ -e "$1" ] && return 0
		sleep 1
	done
	return 1
}

# wait_volume SECONDS: node 1 waits for node 0's mkfs (fresh reads of
# the shared disk each time).
wait_volume() {
	local deadline=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$deadline" ]; do
		echo 3 >/proc/sys/vm/drop_caches
		blockdev --flushbufs /dev/vda 2>/dev/null || true
		mounted.ocfs2 -d /dev/vda 2>/dev/null | grep -q '^/dev/vda' && return 0
		sleep 2
	done
	return 1
}

setup() {
	dev_init "$(mktemp -d /tmp/wac-dev.XXXXXX)"
	net_up || return 1
	modprobe virtio_blk 2>/dev/null || true
	for _ in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.2; done
	[ -b /dev/vda ] || { log "no /dev/vda"; return 1; }
	ocfs2_prepare o2cb "$NODE" wacnode0=10.211.0.1 wacnode1=10.211.0.2 >>"$LOG" 2>&1 || return 1
	if [ "$NODE" = 0 ]; then
		log "mkfs.ocfs2 $(ocfs2_mkfs_args o2cb) /dev/vda"
		# shellcheck disable=SC2046
		dev_mkfs ocfs2 /dev/vda $(ocfs2_mkfs_args o2cb) >>"$LOG" 2>&1 || return 1
	else
		log "waiting for node 0's volume"
		wait_volume 240 || { log "no ocfs2 volume on /dev/vda after 240 s"; return 1; }
	fi
	log "mount -t ocfs2 /dev/vda $MNT"
	dev_mount ocfs2 /dev/vda "$MNT" >>"$LOG" 2>&1 || return 1
	R[ocfs2]=$(OCFS2_NODE_NUM=$NODE ocfs2_facts o2cb "$MNT")
}

# run_wac: this node's slice of the shared file (zero-filled by node 0,
# so no wac prefills: each node's prefill would ping-pong the lock per
# unit), then done$NODE, then a verify after the other node's done.
run_wac() {
	local rc=0 other=$((1 - NODE))
	# shellcheck disable=SC2086
	log "wac $WAC_ARGS --no-prefill $MNT/wac.dat"
	# shellcheck disable=SC2086
	"$SHARE/bin/wac" $WAC_ARGS --no-prefill --state "$OUT/wac.state" \
		--json "$OUT/wac-1.json" "$MNT/wac.dat" >"$OUT/wac-1.out" 2>&1 || rc=$?
	R[wac_exit]=$rc
	log "wac exit $rc: $(tail -n 2 "$OUT/wac-1.out" | tr '\n' ' ')"
	touch "$MNT/done$NODE"
	sync
	wait_for "$MNT/done$other" "$SECONDS_MAX" || { log "node $other never finished"; return 1; }
	rc=0
	"$SHARE/bin/wac" verify -q --state "$OUT/wac.state" --json "$OUT/wac-verify.json" \
		"$MNT/wac.dat" >"$OUT/wac-verify.out" 2>&1 || rc=$?
	R[verify_exit]=$rc
	log "verify after both: exit $rc"
}

node0() {
	log "waiting for node 1's mount"
	wait_for "$MNT/node1.ready" 300 || { log "node 1 never mounted"; return 1; }
	dd if=/dev/zero of="$MNT/wac.dat" bs=64k count=$((WAC_SIZE_BYTES / 65536)) 2>/dev/null
	sync
	touch "$MNT/start"
	run_wac
}

# reads: wac's range, until this node's wac is done (PR locks).
reads() {
	local n=0 err=0
	while [ ! -e "$MNT/done1" ] && [ "$SECONDS" -lt "$SECONDS_MAX" ]; do
		dd if="$MNT/wac.dat" of=/dev/null bs=64k count=1 2>/dev/null || err=$((err + 1))
		n=$((n + 1))
	done
	echo "$n $err" >"$OUT/reads"
}

node1() {
	local pid n err
	touch "$MNT/node1.ready"
	log "ready; waiting for node 0's start"
	wait_for "$MNT/start" 300 || { log "no start from node 0"; return 1; }
	reads &
	pid=$!
	run_wac || true
	wait "$pid" || true
	read -r n err <"$OUT/reads" || { n=0 err=1; }
	R[rounds]=$n R[io_errors]=$err
	log "$n reads of wac's range, $err errors"
}

main() {
	trap 'dev_undo_all; write_result' EXIT
	R[kernel_release]="\"$(uname -r)\""
	log "node $NODE on $(uname -r)"
	if ! setup; then
		log "setup failed"
		return 1
	fi
	R[setup]='"ok"'
	write_result
	if [ "$NODE" = 0 ]; then node0; else node1; fi
	write_result
	dev_unmount "$MNT"
	log "unmounted"
}

main
