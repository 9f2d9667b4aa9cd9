#!/bin/bash
# Memory cgroups around the generator, cgroup v1 or v2, and their reclaim
# counters (sourced after device.sh, not run; runs under bash with busybox
# or coreutils).  Every cgroup made here is undone by the device.sh stack:
# its tasks moved to the parent, then rmdir, so none is left behind.
#
#   memcg_create NAME LIMIT_MB|max [SWAP_MB|max]
#                        a memory cgroup; MEMCG_DIR, MEMCG_VERSION (1|2).
#                        Where neither hierarchy has the memory controller
#                        (the VM's init mounts none), cgroup2 is mounted on
#                        /sys/fs/cgroup first (and unmounted by the stack)
#   memcg_exec CMD...    exec CMD inside MEMCG_DIR (call in a subshell)
#   memcg_counters       "KEY VALUE" lines: memory.stat keys that tell of
#                        reclaim, and the limit hits / OOM kills
#   memcg_delta BEFORE AFTER   a JSON object of AFTER - BEFORE per key
#
# v2: memory.max, memory.swap.max, memory.stat (pgscan, pgsteal, pswpout,
# zswpout, pgmajfault, workingset_refault_*), memory.events (max, oom,
# oom_kill).  v1: memory.limit_in_bytes, memory.memsw.limit_in_bytes where
# swap accounting exists, memory.stat (pgpgin, pgpgout, pgmajfault,
# workingset_refault_*, swap), memory.failcnt, memory.oom_control.

MEMCG_DIR=""
MEMCG_VERSION=""

# The memory.stat keys that tell of reclaim (whichever a kernel has).
MEMCG_STAT_KEYS=" pgscan pgsteal pgscan_direct pgsteal_direct pgscan_kswapd
 pgsteal_kswapd pswpin pswpout zswpin zswpout pgmajfault pgfault pgpgin
 pgpgout workingset_refault_anon workingset_refault_file workingset_refault
 swap shmem file anon "

# memcg_root: print "VERSION DIR" of the hierarchy with the memory
# controller, or nothing.
memcg_root() {
	local src mnt type opts _
	while read -r src mnt type opts _; do
		case $type in
		cgroup)
			[[ ,$opts, == *,memory,* ]] && echo "1 $mnt" && return 0
			;;
		cgroup2)
			grep -qw memory "$mnt/cgroup.controllers" 2>/dev/null &&
				echo "2 $mnt" && return 0
			;;
		esac
		: "$src"
	done </proc/mounts
	return 1
}

# memcg_available: a memory controller is mounted (v1 or v2) or cgroup2
# would bring one when mounted (memcg_create mounts it).  Not
# /proc/cgroups: newer kernels list only v1 controllers there (Debian's
# 7.2 has no memory line, its 6.12 still has one).
memcg_available() {
	local mnt found=1
	memcg_root >/dev/null && return 0
	grep -qw cgroup2 /proc/filesystems 2>/dev/null || return 1
	mnt=$(mktemp -d)
	if mount -t cgroup2 none "$mnt" 2>/dev/null; then
		grep -qw memory "$mnt/cgroup.controllers" && found=0
		umount "$mnt"
	fi
	rmdir "$mnt"
	return "$found"
}

memcg_create() {
	local name=$1 limit=$2 swap=${3:-max} root ver dir
	if ! root=$(memcg_root); then
		grep -qw cgroup2 /proc/filesystems || {
			echo "memcg: no memory cgroup controller in $(uname -r)" >&2
			return 1
		}
		mkdir -p /sys/fs/cgroup
		mount -t cgroup2 none /sys/fs/cgroup || return 1
		dev_undo_push memcg_umount /sys/fs/cgroup
		root=$(memcg_root) || {
			echo "memcg: cgroup2 has no memory controller" >&2
			return 1
		}
	fi
	read -r ver dir <<<"$root"
	if [ "$ver" = 2 ]; then
		grep -qw memory "$dir/cgroup.subtree_control" ||
			echo +memory >"$dir/cgroup.subtree_control" || return 1
	fi
	dir=$dir/$name
	mkdir "$dir" || return 1
	dev_undo_push memcg_remove "$dir" "$ver"
	MEMCG_DIR=$dir MEMCG_VERSION=$ver
	memcg_limit "$limit" "$swap"
}

# memcg_bytes MB|max: bytes, or the "no limit" word of the version.
memcg_bytes() {
	if [ "$1" != max ]; then
		echo $(($1 * 1024 * 1024))
	elif [ "$MEMCG_VERSION" = 2 ]; then
		echo max
	else
		echo -1
	fi
}

# memcg_limit LIMIT_MB|max SWAP_MB|max: memory, and swap beyond it where
# the kernel accounts swap (v1 memsw counts memory + swap).
memcg_limit() {
	local mem swap d=$MEMCG_DIR
	mem=$(memcg_bytes "$1")
	swap=$(memcg_bytes "$2")
	if [ "$MEMCG_VERSION" = 2 ]; then
		echo "$mem" >"$d/memory.max" || return 1
		[ ! -e "$d/memory.swap.max" ] || echo "$swap" >"$d/memory.swap.max"
		return
	fi
	echo "$mem" >"$d/memory.limit_in_bytes" || return 1
	[ -e "$d/memory.memsw.limit_in_bytes" ] || return 0
	if [ "$1" = max ] || [ "$2" = max ]; then
		swap=-1
	else
		swap=$((mem + swap))
	fi
	echo "$swap" >"$d/memory.memsw.limit_in_bytes"
}

# memcg_umount DIR: unmount the cgroup2 memcg_create mounted, unless a
# cgroup is still in it (its rmdir failed): unmounted, a leftover cgroup
# lives on in the kernel where no leftovers check can see it.
memcg_umount() {
	local d
	for d in "$1"/*/; do
		[ -d "$d" ] && return 0
	done
	umount "$1"
}

# memcg_remove DIR VERSION: move what is left to the parent, rmdir (the
# undo entry; retries while an exiting task is still charged).
memcg_remove() {
	local dir=$1 pid
	[ -d "$dir" ] || return 0
	for _ in $(seq 20); do
		while read -r pid; do
			echo "$pid" >"$(dirname "$dir")/cgroup.procs" 2>/dev/null || true
		done <"$dir/cgroup.procs"
		rmdir "$dir" 2>/dev/null && return 0
		sleep 0.5
	done
	echo "memcg: cannot remove $dir" >&2
	return 1
}

memcg_exec() {
	echo "$BASHPID" >"$MEMCG_DIR/cgroup.procs" || exit 2
	exec "$@"
}

memcg_counters() {
	local d=$MEMCG_DIR k v
	while read -r k v; do
		[[ $MEMCG_STAT_KEYS == *" $k "* ]] && echo "$k $v"
	done <"$d/memory.stat"
	if [ "$MEMCG_VERSION" = 2 ]; then
		awk '$1 ~ /^(max|oom|oom_kill)$/ { print "limit_" $1, $2 }' "$d/memory.events"
		[ ! -e "$d/memory.peak" ] || echo "peak_bytes $(cat "$d/memory.peak")"
	else
		echo "limit_failcnt $(cat "$d/memory.failcnt")"
		awk '$1 == "oom_kill" { print "limit_oom_kill", $2 }' "$d/memory.oom_control"
		echo "peak_bytes $(cat "$d/memory.max_usage_in_bytes")"
	fi
}

# memcg_delta BEFORE AFTER: files of memcg_counters lines; peak_bytes and
# the resident sizes (shmem file anon swap) are levels, the rest counters.
memcg_delta() {
	awk 'NR == FNR { b[$1] = $2; next }
	{
		v = ($1 ~ /^(peak_bytes|shmem|file|anon|swap)$/) ? $2 : $2 - b[$1]
		printf "%s\"%s\":%s", n++ ? "," : "{", $1, v
	}
	END { print n ? "}" : "{}" }' "$1" "$2"
}
