#!/bin/bash
# Requirement checks, blktests/fstests style (sourced, not run): each
# _require_* skips the scenario with a reason.  Used inside the VM and by
# the native backend alike; the devices themselves are harness/lib/device.sh.

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
	tmpfs | overlay) ;;
	*) _require_cmd "mkfs.$1" ;;
	esac
	grep -qw "$1" /proc/filesystems || modprobe "$1" >/dev/null 2>&1 ||
		_skip_scenario "filesystem $1 is not available in kernel $(uname -r)"
}

# _require_kernel X.Y[.Z]: the running kernel is at least that version.
# (bash arithmetic: the guest's busybox sort has no -V)
_require_kernel() {
	local want=$1 i h w
	local -a have_v want_v
	IFS=.- read -ra have_v <<<"$(uname -r)"
	IFS=. read -ra want_v <<<"$want"
	for i in 0 1 2; do
		h=${have_v[i]:-0} w=${want_v[i]:-0}
		[[ $h =~ ^[0-9]+$ ]] || h=0
		[ "$h" -gt "$w" ] && return 0
		[ "$h" -lt "$w" ] && _skip_scenario "needs kernel >= $want, this is $(uname -r)"
	done
	return 0
}

# _require_memcg: a memory cgroup controller (harness/lib/memcg.sh).
_require_memcg() {
	memcg_available || _skip_scenario "no memory cgroup controller in kernel $(uname -r)"
}

# _require_wac_option --NAME: the generator ($WAC) documents the option
# in its --help (a scenario written before the feature landed skips).
_require_wac_option() {
	local help
	help=$("${WAC:-wac}" --help 2>/dev/null) || true
	grep -qw -e "$1" <<<"$help" || _skip_scenario "this wac has no $1 option"
}

# _require_pmem: persistent memory to make fsdax: the pmem driver, ndctl,
# a region (the VM was booted with an NVDIMM or memmap=, harness/lib/vm.sh)
# and the kernel's pfn support (struct pages for filesystem DAX).
_require_pmem() {
	local r
	_require_module nd_pmem
	_require_cmd ndctl
	modprobe nfit 2>/dev/null || true
	modprobe nd_e820 2>/dev/null || true
	modprobe nd_pmem 2>/dev/null || true
	for _ in $(seq 25); do
		for r in /sys/bus/nd/devices/region*; do
			[ -e "$r/pfn_seed" ] && return 0
			[ -d "$r" ] && _skip_scenario "kernel $(uname -r) has no fsdax (pfn) support for $(basename "$r")"
		done
		sleep 0.2
	done
	_skip_scenario "no persistent memory region in this VM (booted without pmem?)"
}

# _require_all REQUIREMENTS: the scenario's requires list (scenario.py
# adds the implicit ones: the device, dm_flakey, fs:FS).
_require_all() {
	local r
	local -a reqs=()
	read -ra reqs <<<"$1" || true
	for r in "${reqs[@]}"; do
		case $r in
		kernel\>=*) _require_kernel "${r#kernel>=}" ;;
		cmd:*) _require_cmd "${r#cmd:}" ;;
		wac-option:*) _require_wac_option "${r#wac-option:}" ;;
		fs:*) _require_fs "${r#fs:}" ;;
		md) _require_module md_mod; _require_cmd mdadm ;;
		pmem) _require_pmem ;;
		dm_flakey) _require_module dm_flakey; _require_cmd dmsetup ;;
		memcg) _require_memcg ;;
		zram) _require_module zram; _require_cmd mkswap swapon swapoff ;;
		*) _require_module "$r" ;;
		esac
	done
}
