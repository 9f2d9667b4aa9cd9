#!/bin/bash
# harness/kbuild --modules-of: rebuild some in-tree modules of a cached
# Debian kernel from its linux-source-X.Y (with patches), against that
# kernel's linux-headers, and cache "that kernel with these modules" as
# build:LABEL (sourced by harness/kbuild, not run).
#
# Why: a full kernel takes over an hour on this machine while the VMs run
# (nice 10, 2 shared cores); fs/ext4 alone takes minutes.  The rest of the
# kernel is Debian's own binary, so a stock rebuild of the same directory
# is the control for compiler differences (the host's gcc is not the one
# Debian used).  Debian's modules are signed and the rebuilt ones are not:
# loading one taints the kernel (E), which ends a VM batch, so each
# scenario that loads it gets its own boot (harness/lib/batch.sh).

# Kconfig facts of Debian's compiler the host's gcc may not have; make
# variables on the command line override include/config/auto.conf, so
# kbuild falls back (e.g. -falign-functions for -fmin-function-alignment).
# (gcc 12 also warns that it ignores __counted_by: an annotation for the
# bounds checker, no layout change.)  No BTF for the modules: the host's
# pahole is older than the kernel's, and the runs do not need it.
KBMOD_CC_OVERRIDES="CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT= CONFIG_DEBUG_INFO_BTF_MODULES="

# kbmod_headers KDIR: unpack linux-headers (and its -common and
# linux-kbuild parts) of the Debian kernel in KDIR; print the arch
# headers directory.
kbmod_headers() {
	local kdir=$1 pkg release hdr dst p deb tmp
	pkg=$(kernel_info "$kdir" package)
	release=$(kernel_info "$kdir" release)
	hdr=linux-headers-${pkg#linux-image-}
	dst=$KBUILD_ROOT/headers/$release
	if [ ! -f "$dst/.wac-done" ]; then
		apt_update ""
		mkdir -p "$KBUILD_ROOT/headers" "$APT_ROOT/cache/archives"
		tmp=$(mktemp -d "$KBUILD_ROOT/headers/.unpack.XXXXXX")
		KB_CLEAN+=("$tmp")
		for p in $hdr $(apt_private apt-cache show "$hdr" 2>/dev/null |
			awk '/^Depends:/ { print; exit }' | tr ',' '\n' | sed -e 's/^Depends://' -e 's/^ *//' -e 's/ .*//' |
			grep -E '^linux-(headers-.*-common|kbuild-)'); do
			(cd "$APT_ROOT/cache/archives" && apt_private apt-get -q download "$p" >/dev/null 2>&1) ||
				die "apt-get download $p failed"
			deb=$(find "$APT_ROOT/cache/archives" -name "${p}_*.deb" -printf '%T@ %p\n' | sort -rn | head -n 1 | cut -d' ' -f2)
			dpkg-deb -x "$deb" "$tmp"
		done
		: >"$tmp/.wac-done"
		rm -rf "$dst"
		mv "$tmp" "$dst"
	fi
	echo "$dst/usr/src/$hdr"
}

# kbmod_hosttools SOURCE: modpost and objtool for this host, built from the
# unpacked SOURCE (Debian's linux-kbuild binaries are built for its own
# release's glibc and may not run here); print their directory.
kbmod_hosttools() {
	local src=$KBUILD_ROOT/src/$1 dir=$KBUILD_ROOT/hosttools/$1 tmp
	if [ ! -x "$dir/modpost" ] || [ ! -x "$dir/objtool" ]; then
		info "building modpost and objtool for this host"
		mkdir -p "$KBUILD_ROOT/hosttools"
		tmp=$(mktemp -d "$KBUILD_ROOT/hosttools/.build.XXXXXX")
		KB_CLEAN+=("$tmp")
		nice -n 10 make -C "$src" O="$tmp" x86_64_defconfig >>"$KB_LOG" 2>&1 &&
			nice -n 10 make -C "$src" O="$tmp" -j"$JOBS" modules_prepare >>"$KB_LOG" 2>&1 ||
			return 1
		mkdir -p "$dir"
		cp "$tmp/scripts/mod/modpost" "$tmp/tools/objtool/objtool" "$dir/"
	fi
	echo "$dir"
}

# kbmod_make HDRDIR MDIR TARGET...: kbuild for the external module
# directory MDIR against the headers (their Makefile includes the -common
# tree by an absolute /usr/src path, so both are named here).
kbmod_make() {
	local hdr=$1 mdir=$2 common
	shift 2
	common=$(sed -n 's|^include .*/\(linux-headers-[^/]*-common\)/Makefile$|\1|p' "$hdr/Makefile")
	[ -n "$common" ] || return 1
	# shellcheck disable=SC2086 # the override words
	nice -n 10 make -C "$(dirname "$hdr")/$common" O="$hdr" M="$mdir" CC=gcc HOSTCC=gcc \
		MODPOST="$KBMOD_TOOLS/modpost" objtool="$KBMOD_TOOLS/objtool" \
		$KBMOD_CC_OVERRIDES "$@" >>"$KB_LOG" 2>&1
}

# kbmod_build BASEDIR LABEL OUT SUBDIR...: the modules of SUBDIR (from the
# work tree, patched) into OUT, a copy of the base kernel's cache entry.
kbmod_build() {
	local base=$1 label=$2 out=$3 hdr work release moddir sub ko rel old
	shift 3
	hdr=$(kbmod_headers "$base")
	KBMOD_TOOLS=$(kbmod_hosttools "$SOURCE") || return 1
	release=$(kernel_info "$base" release)
	work=$KB_WORK
	for sub in "$@"; do
		kbmod_make "$hdr" "$work/$sub" -j"$JOBS" modules || return 1
	done
	# the base kernel, hard-linked; what is replaced is replaced by new
	# files, and depmod writes its indexes anew
	cp -al "$base" "$out"
	rm -f "$out/kernel.info"
	moddir=$out/$(kernel_info "$base" moddir)
	rm -f "$moddir"/modules.*
	for sub in "$@"; do
		while IFS= read -r ko; do
			rel=${ko#"$work"/}
			old=$(find "$moddir/kernel/$(dirname "$rel")" -maxdepth 1 -name "$(basename "$rel")*" 2>/dev/null | head -n 1)
			[ -n "$old" ] || { echo "kbuild: $rel is not a module of $release" >>"$KB_LOG"; return 1; }
			rm -f "$old"
			# as modules_install INSTALL_MOD_STRIP=1: Debian's config has
			# debug info, which would only swell the initramfs
			strip --strip-debug -o "$moddir/kernel/$rel" "$ko"
		done < <(find "$work/$sub" -name '*.ko')
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		cp "$base/$(kernel_info "$base" moddir)/$f" "$moddir/$f" 2>/dev/null || true
	done
	depmod -b "$out/root" "$release" >>"$KB_LOG" 2>&1 || return 1
	{
		echo "alias=build:$label"
		echo "package=build:$label"
		echo "parts="
		echo "release=$release"
		echo "vmlinuz=$(kernel_info "$base" vmlinuz)"
		echo "moddir=$(kernel_info "$base" moddir)"
		echo "base=$(kernel_info "$base" package)"
		echo "modules=$*"
	} >"$out/kernel.info.part"
}
