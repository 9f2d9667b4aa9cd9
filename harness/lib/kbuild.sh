#!/bin/bash
# Building kernels for the harness (sourced by harness/kbuild, not run).
#
# Layout under $WAC_CACHE/kbuild:
#   src/NAME/     the pristine tree: linux-source-X.Y unpacked from the
#                 Debian package (src/NAME/.wac-version says which), or a
#                 hard-linked copy of a --tree
#   work/NAME/    where make runs: a hard-linked copy of src/NAME.  patch
#                 and the restore below replace files (new inodes), so the
#                 pristine tree is never written through a link
#   ccache/       the compiler cache (when ccache is installed)
#   logs/LABEL.log
# A finished build goes to $KERNEL_CACHE/build-LABEL, laid out like a
# fetched kernel (kernel.info, root/boot/vmlinuz-*, root/lib/modules/*,
# vmlinux.pvh), with alias build:LABEL.

KBUILD_ROOT=$WAC_CACHE/kbuild

# Every label of a source gets the same release (X.Y.Z-wac): a label in
# the release would change utsrelease.h and every module's vermagic, so a
# patched build would relink everything; with one release, make rebuilds
# only what the patches touch (fs/ext4: ext4.ko alone).  The label lives in
# kernel.info (alias build:LABEL) and, through it, in harness.json; the
# initramfs cache tells the builds apart by their modules' contents.
# shellcheck disable=SC2034 # harness/kbuild uses it
KBUILD_LOCALVERSION=-wac

# The suite's fragment, merged over these in-tree configs in this order.
KBUILD_BASE_CONFIGS="x86_64_defconfig kvm_guest.config"
# shellcheck disable=SC2034 # harness/kbuild uses it
KBUILD_FRAGMENT=$HARNESS_DIR/kconfig/wac.config

# kb_label_ok LABEL: the label is usable in a release string and a path.
kb_label_ok() {
	[[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$ ]]
}

# kb_tree_version DIR: "X.Y.Z" from a kernel tree's Makefile, or fail.
kb_tree_version() {
	[ -f "$1/Makefile" ] && [ -f "$1/Kconfig" ] || return 1
	awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 } /^SUBLEVEL =/ { s = $3 }
		END { if (v == "" || p == "") exit 1; print v "." p "." (s == "" ? 0 : s) }' "$1/Makefile"
}

# kb_patch_files PATCH: the tree-relative paths (-p1) a patch touches.
kb_patch_files() {
	awk '/^(---|\+\+\+) / { p = $2; sub(/\t.*/, "", p)
		if (p == "/dev/null") next
		sub(/^[^\/]*\//, "", p); print p }' "$1" | sort -u
}

# kb_source_version PKG: the candidate version of a linux-source package in
# the private apt state, or fail.
kb_source_version() {
	apt_private apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2 }' | grep .
}

# kb_unpack_source PKG VERSION: src/PKG holds that version (downloaded
# through the private apt state when it does not).
kb_unpack_source() {
	local pkg=$1 ver=$2 dst=$KBUILD_ROOT/src/$1 tmp deb tarball
	if [ -f "$dst/.wac-version" ] && [ "$(cat "$dst/.wac-version")" = "$ver" ]; then
		return 0
	fi
	info "downloading $pkg $ver"
	mkdir -p "$APT_ROOT/cache/archives" "$KBUILD_ROOT/src"
	(cd "$APT_ROOT/cache/archives" && apt_private apt-get -q download "$pkg=$ver" >/dev/null 2>&1) ||
		die "apt-get download $pkg=$ver failed"
	deb=$(ls -t "$APT_ROOT/cache/archives/${pkg}_"*.deb | head -n 1)
	tmp=$(mktemp -d "$KBUILD_ROOT/src/.unpack.XXXXXX")
	KB_CLEAN+=("$tmp")
	tarball=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | grep -E '^\./usr/src/linux-source-.*\.tar\.xz$' | head -n 1) ||
		die "$deb: no usr/src/linux-source-*.tar.xz in the package"
	info "unpacking ${tarball##*/}"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" | xz -dc -T2 | tar -x -C "$tmp" ||
		die "unpacking $tarball failed"
	[ -d "$tmp/$pkg" ] || die "$tarball: no top directory $pkg"
	echo "$ver" >"$tmp/$pkg/.wac-version"
	rm -rf "$dst" "$KBUILD_ROOT/work/$pkg"
	mv "$tmp/$pkg" "$dst"
	rm -rf "$tmp"
}

# kb_copy_tree DIR NAME: src/NAME as a hard-linked copy of DIR (a full copy
# across filesystems); the version file says where it came from.
kb_copy_tree() {
	local dir=$1 name=$2 dst=$KBUILD_ROOT/src/$2 stamp tmp
	stamp="tree $dir $(find "$dir" -newer "$dir/Makefile" -type f 2>/dev/null | wc -l) $(stat -c %Y "$dir/Makefile")"
	if [ -f "$dst/.wac-version" ] && [ "$(cat "$dst/.wac-version")" = "$stamp" ]; then
		return 0
	fi
	mkdir -p "$KBUILD_ROOT/src"
	tmp=$(mktemp -d "$KBUILD_ROOT/src/.copy.XXXXXX")
	KB_CLEAN+=("$tmp")
	cp -al "$dir" "$tmp/t" 2>/dev/null || { rm -rf "$tmp/t" && cp -a "$dir" "$tmp/t"; } ||
		die "copying $dir failed"
	echo "$stamp" >"$tmp/t/.wac-version"
	rm -rf "$dst" "$KBUILD_ROOT/work/$name"
	mv "$tmp/t" "$dst"
	rm -rf "$tmp"
}

# kb_prepare_work NAME PATCH...: work/NAME is src/NAME plus the patches:
# the files an earlier build patched are put back first (as new files,
# so make sees them change), then the patches are applied.
kb_prepare_work() {
	local name=$1 src=$KBUILD_ROOT/src/$1 work=$KBUILD_ROOT/work/$1 f p
	shift
	if [ ! -f "$work/.wac-version" ] || ! cmp -s "$work/.wac-version" "$src/.wac-version"; then
		rm -rf "$work"
		mkdir -p "$KBUILD_ROOT/work"
		info "linking the work tree $work"
		cp -al "$src" "$work"
	fi
	if [ -f "$work/.wac-patched" ]; then
		while read -r f; do
			rm -f "$work/$f"
			if [ -e "$src/$f" ]; then cp "$src/$f" "$work/$f"; fi
		done <"$work/.wac-patched"
		rm -f "$work/.wac-patched"
	fi
	for p in "$@"; do
		kb_patch_files "$p" >>"$work/.wac-patched"
		info "applying ${p##*/}"
		patch -d "$work" -p1 --batch --forward --no-backup-if-mismatch -s <"$p" ||
			die "patch ${p##*/} does not apply to $name"
	done
}

# kb_make WORK ARGS...: make in the work tree, niced (the lead's VMs come
# first), through ccache when installed, output to the build log.
kb_make() {
	local work=$1
	shift
	local -a cc=()
	if command -v ccache >/dev/null; then
		cc=(CC="ccache gcc")
	fi
	CCACHE_DIR=$KBUILD_ROOT/ccache CCACHE_BASEDIR=$work CCACHE_MAXSIZE=8G \
		nice -n 10 make -C "$work" "${cc[@]}" "$@" >>"$KB_LOG" 2>&1
}

# kb_configure WORK LOCALVERSION FRAGMENT...: defconfig, kvm_guest and the
# fragments; print the fragment lines that did not take (a dependency is
# missing or the option does not exist in this tree).
kb_configure() {
	local work=$1 lv=$2 f i=0 line key val
	shift 2
	local -a targets
	read -ra targets <<<"$KBUILD_BASE_CONFIGS"
	rm -f "$work"/kernel/configs/wac-frag-*.config
	for f in "$@"; do
		i=$((i + 1))
		cp "$f" "$work/kernel/configs/wac-frag-$i.config"
		targets+=("wac-frag-$i.config")
	done
	kb_make "$work" LOCALVERSION="$lv" "${targets[@]}" || return 1
	cat "$@" | grep -E '^(CONFIG_[A-Za-z0-9_]+=.*|# CONFIG_[A-Za-z0-9_]+ is not set)$' |
		while IFS= read -r line; do
			case $line in
			"# "*) key=${line#\# }; key=${key%% *}; val=n ;;
			*) key=${line%%=*}; val=${line#*=} ;;
			esac
			if [ "$val" = n ]; then
				grep -q "^$key=" "$work/.config" && echo "$line (is $(grep "^$key=" "$work/.config"))"
			else
				grep -qxF "$key=$val" "$work/.config" ||
					echo "$line (is $(grep -E "^$key=|^# $key is not set" "$work/.config" || echo absent))"
			fi
		done || true
}

# kb_install WORK RELEASE OUT: modules, bzImage and vmlinux into OUT, laid
# out like a fetched kernel.
kb_install() {
	local work=$1 release=$2 out=$3 moddir
	mkdir -p "$out/root/boot"
	kb_make "$work" LOCALVERSION="$KBUILD_LOCALVERSION" INSTALL_MOD_PATH="$out/root" \
		INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod modules_install || return 1
	moddir=$out/root/lib/modules/$release
	[ -d "$moddir/kernel" ] || return 1
	rm -f "$moddir/build" "$moddir/source"
	cp "$work/arch/x86/boot/bzImage" "$out/root/boot/vmlinuz-$release"
	cp "$work/.config" "$out/root/boot/config-$release"
	cp "$work/System.map" "$out/root/boot/System.map-$release"
	# QEMU enters the uncompressed ELF through PVH (kernel_boot_image).
	if has_pvh_entry "$work/vmlinux"; then
		cp "$work/vmlinux" "$out/vmlinux.pvh"
	else
		: >"$out/vmlinux.nopvh"
	fi
}
