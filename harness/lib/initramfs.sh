#!/bin/bash
# Build the VM's initramfs (sourced, not run).
#
# Contents: busybox-static, bash, kmod, the closure of the modules the
# scenarios need (decompressed, depmod run for the initramfs tree), mkfs
# for ext4/xfs/btrfs, dmsetup, fsfreeze and friends with their shared
# libraries.  The generator binary and the guest scripts are not in it:
# they travel through the 9p share, so the image only depends on the
# kernel and the host's tools and is cached per kernel.

# Modules the scenarios load; names missing from a kernel (built in or
# renamed) are skipped.
INITRAMFS_MODULES="virtio_pci 9pnet_virtio 9p virtio_console sd_mod scsi_debug dm_mod dm_flakey
	ext4 xfs btrfs loop overlay zram lzo lzo_rle t10_pi crc_t10dif crct10dif_generic
	crct10dif_pclmul crc64_rocksoft crc64_rocksoft_generic crc32c_generic
	crc32c_intel crc32c_cryptoapi libcrc32c
	md_mod raid1 raid10 raid456"

# Host tools copied with their libraries.
INITRAMFS_TOOLS="bash kmod mke2fs e2fsck mkfs.xfs mkfs.btrfs dmsetup fsfreeze
	blkdiscard blockdev losetup mount umount sync findmnt xfs_io dd mdadm"

# ocfs2 (issue #11): its tools and modules, listed in harness/lib/ocfs2.sh
# shellcheck source=ocfs2.sh
. "$(dirname "${BASH_SOURCE[0]}")/ocfs2.sh"
INITRAMFS_MODULES="$INITRAMFS_MODULES $OCFS2_MODULES"
INITRAMFS_TOOLS="$INITRAMFS_TOOLS $OCFS2_TOOLS"

# More host tools for one run's image (WAC_INITRAMFS_EXTRA="fio jq":
# bench/fio-vs-wac --vm); kept apart from the default image by its hash.
INITRAMFS_EXTRA_TOOLS=${WAC_INITRAMFS_EXTRA:-}

INITRAMFS_CACHE=$WAC_CACHE/initramfs
INITRAMFS_KEEP=${WAC_INITRAMFS_KEEP:-3}   # images kept per kernel release
INITRAMFS_BUILD=()   # a build in progress: its tree and its partial cpio

# Persistent memory (device = pmem): the NFIT and e820 (memmap=) region
# drivers, the pmem block driver, and ndctl to make the raw namespace
# fsdax.  ndctl is optional on the host: without it the image has none
# and pmem scenarios skip with the reason (guest/helpers.sh).
INITRAMFS_PMEM_MODULES="nfit nd_e820 nd_pmem nd_btt dax_pmem"
INITRAMFS_PMEM_TOOLS="ndctl"

# initramfs_add_pmem ROOT: ndctl and its libraries, when the host has it.
initramfs_add_pmem() {
	local root=$1 t path
	for t in $INITRAMFS_PMEM_TOOLS; do
		path=$(command -v "$t") || continue
		copy_with_libs "$root" "$(readlink -f "$path")"
		[ "$(readlink -f "$path")" = "/usr/bin/$t" ] || ln -sf "$(readlink -f "$path")" "$root/usr/bin/$t"
	done
}

# module_name PATH: kernel/fs/ext4/ext4.ko.xz -> ext4 (dashes as underscores).
module_name() {
	local n=${1##*/}
	n=${n%%.ko*}
	echo "${n//-/_}"
}

# module_closure MODDIR NAME...: the relative paths of NAME's modules and
# everything they depend on (modules.dep and modules.softdep), one per line.
module_closure() {
	local moddir=$1
	shift
	awk -v want="$*" '
		function norm(s) { sub(/.*\//, "", s); sub(/\.ko.*/, "", s); gsub(/-/, "_", s); return s }
		FILENAME ~ /modules\.dep$/ {
			p = $1; sub(/:$/, "", p)
			n = norm(p); path[n] = p
			deps[n] = ""
			for (i = 2; i <= NF; i++) deps[n] = deps[n] " " norm($i)
			next
		}
		FILENAME ~ /modules\.softdep$/ && $1 == "softdep" {
			n = $2; gsub(/-/, "_", n)
			for (i = 3; i <= NF; i++) if ($i !~ /:$/) soft[n] = soft[n] " " $i
			next
		}
		FILENAME ~ /modules\.alias$/ && $1 == "alias" {
			a = $2; gsub(/-/, "_", a); m = $3; gsub(/-/, "_", m)
			alias[a] = alias[a] " " m
			next
		}
		function add(n,    k, parts, i) {
			gsub(/-/, "_", n)
			if (n in seen) return
			seen[n] = 1
			if (!(n in path)) {
				if (n in alias) { k = split(alias[n], parts, " "); for (i = 1; i <= k; i++) add(parts[i]) }
				return
			}
			k = split(deps[n], parts, " "); for (i = 1; i <= k; i++) add(parts[i])
			k = split(soft[n], parts, " "); for (i = 1; i <= k; i++) add(parts[i])
			print path[n]
		}
		END { k = split(want, w, " "); for (i = 1; i <= k; i++) add(w[i]) }
	' "$moddir/modules.dep" "$moddir/modules.softdep" "$moddir/modules.alias"
}

# copy_with_libs ROOT FILE...: copy executables and the shared libraries
# ldd names (and the dynamic loader) into ROOT at the same paths.
copy_with_libs() {
	local root=$1 f lib
	shift
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
		for lib in $(ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}

# initramfs_module_files MODDIR: what the image copies from MODDIR, relative
# paths one per line: the modules' closure and the lists depmod needs.
initramfs_module_files() {
	local moddir=$1 t
	# shellcheck disable=SC2086 # word lists
	module_closure "$moddir" $INITRAMFS_MODULES $INITRAMFS_PMEM_MODULES
	for t in modules.builtin modules.builtin.modinfo modules.order; do
		if [ -f "$moddir/$t" ]; then echo "$t"; fi
	done
}

# initramfs_inputs_hash MODDIR FILE...: a short hash of what the image is
# built from.  The modules are hashed by content: harness/kbuild gives
# every label of a source one release, and two labels that differ only in
# a module (a patched ext4.ko) must not share an image.
initramfs_inputs_hash() {
	local moddir=$1 t
	shift
	{
		if [ $# -gt 0 ]; then (cd "$moddir" && sha256sum "$@"); fi
		cat "${BASH_SOURCE[0]}" "$HARNESS_DIR/guest/init" "$HARNESS_DIR/lib/ocfs2.sh"
		for t in busybox $INITRAMFS_TOOLS $INITRAMFS_PMEM_TOOLS $INITRAMFS_EXTRA_TOOLS; do
			t=$(command -v "$t" || true)
			[ -n "$t" ] && stat -L -c '%n %s %Y' "$t"
		done
	} | sha256sum | cut -c1-12
}

# build_initramfs KDIR: print the path of the (cached) initramfs for the
# kernel unpacked in KDIR.
build_initramfs() {
	local kdir=$1 release moddir out root m t path rel
	local -a files
	release=$(kernel_info "$kdir" release)
	moddir=$kdir/$(kernel_info "$kdir" moddir)
	mapfile -t files < <(initramfs_module_files "$moddir")
	out=$INITRAMFS_CACHE/$release-$(initramfs_inputs_hash "$moddir" "${files[@]}").cpio
	if [ -f "$out" ]; then
		touch "$out"   # the pruning keeps the most recently used
		echo "$out"
		return 0
	fi
	info "building initramfs for $release"
	mkdir -p "$INITRAMFS_CACHE"
	root=$(mktemp -d "$INITRAMFS_CACHE/build.XXXXXX")
	INITRAMFS_BUILD=("$root" "$out.tmp")
	# shellcheck disable=SC2064
	trap "rm -rf '$root'; INITRAMFS_BUILD=()" RETURN
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{dev,proc,sys,tmp,mnt,share,etc,run,var}
	ln -s usr/bin "$root/bin"
	ln -s usr/sbin "$root/sbin"
	ln -s usr/lib "$root/lib"
	ln -s usr/lib64 "$root/lib64"

	cp "$(command -v busybox)" "$root/usr/bin/busybox"
	for t in $(busybox --list); do
		[ -e "$root/usr/bin/$t" ] || ln -s busybox "$root/usr/bin/$t"
	done

	for t in $INITRAMFS_TOOLS $INITRAMFS_EXTRA_TOOLS; do
		path=$(command -v "$t") || die "initramfs: host tool $t not found"
		rm -f "$root/usr/bin/$t" "$root/usr/sbin/$t"
		copy_with_libs "$root" "$(readlink -f "$path")"
		if [ "$(readlink -f "$path")" != "/usr/bin/$t" ]; then
			ln -sf "$(readlink -f "$path")" "$root/usr/bin/$t"
		fi
	done
	ln -sf mke2fs "$root/usr/sbin/mkfs.ext4"
	for t in modprobe insmod rmmod lsmod modinfo depmod; do
		rm -f "$root/usr/bin/$t"
		ln -s kmod "$root/usr/bin/$t"
	done
	cp /etc/mke2fs.conf "$root/etc/" 2>/dev/null || true
	echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
	ln -s /proc/mounts "$root/etc/mtab"

	mkdir -p "$root/lib/modules/$release"
	initramfs_add_pmem "$root"
	for m in "${files[@]}"; do
		rel=${m%.xz}
		rel=${rel%.zst}
		rel=${rel%.gz}
		mkdir -p "$root/lib/modules/$release/$(dirname "$rel")"
		case $m in
		*.xz) xz -dc "$moddir/$m" >"$root/lib/modules/$release/$rel" ;;
		*.zst) zstd -qdc "$moddir/$m" >"$root/lib/modules/$release/$rel" ;;
		*.gz) gzip -dc "$moddir/$m" >"$root/lib/modules/$release/$rel" ;;
		*) cp "$moddir/$m" "$root/lib/modules/$release/$rel" ;;
		esac
	done
	depmod -b "$root" "$release" 2>/dev/null || die "initramfs: depmod failed"

	cp "$HARNESS_DIR/guest/init" "$root/init"
	chmod 755 "$root/init"
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$out.tmp"
	mv "$out.tmp" "$out"
	initramfs_prune "$release"
	echo "$out"
}

# initramfs_prune RELEASE: every change to the guest or the host's tools
# makes a new image (40-55 MB); keep the INITRAMFS_KEEP most recently
# used of a release and drop the others, except those a running harness
# holds (initramfs_hold).
initramfs_prune() {
	local f
	find "$INITRAMFS_CACHE" -maxdepth 1 -name "$1-*.cpio" -printf '%T@ %p\n' |
		sort -rn | tail -n +$((INITRAMFS_KEEP + 1)) | cut -d' ' -f2- |
		while read -r f; do
			flock -xn "$f" rm -f "$f" || true
		done
}

# initramfs_hold FILE: a shared lock on the image for as long as the
# calling shell lives, so another harness's pruning leaves it alone
# while this run still boots VMs from it.
initramfs_hold() {
	local fd
	exec {fd}<"$1"
	flock -s "$fd"
}

# initramfs_abort: drop what a build_initramfs stopped by a signal left
# (harness/run's run_bg calls it on SIGTERM).
initramfs_abort() {
	[ ${#INITRAMFS_BUILD[@]} -eq 0 ] || rm -rf "${INITRAMFS_BUILD[@]}"
	INITRAMFS_BUILD=()
}
