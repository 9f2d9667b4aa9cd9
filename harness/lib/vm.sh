#!/bin/bash
# The QEMU runner (sourced, not run).
#
# One VM per scenario: the kernel, the cached initramfs, a 9p share (the
# scenario, the guest scripts, the generator binary; results come back the
# same way), the serial console to a log file.  A VM that has not powered
# off by its deadline is asked for sysrq-w through the monitor, then killed:
# the caller reports `hang` and keeps the serial log.

VM_MEM_MB=${WAC_VM_MEM_MB:-1536}
VM_CPUS=${WAC_VM_CPUS:-2}
VM_PROBE_TIMEOUT=${WAC_VM_PROBE_TIMEOUT:-25}
# more QEMU arguments for the next vm_boot: the two-node OCFS2 run's
# shared disk and private socket network (harness/ocfs2-two-node)
VM_EXTRA_ARGS=()
# the guest kernel's command line (harness/lava puts it in LAVA jobs too)
VM_KERNEL_ARGS="console=ttyS0,115200 panic=-1 rdinit=/init printk.devkmsg=on log_buf_len=8M"

# qemu_accel_args ACCEL: the acceleration arguments.
qemu_accel_args() {
	case $1 in
	kvm) echo "-accel kvm -cpu ${WAC_KVM_CPU:-host}" ;;
	tcg) echo "-accel tcg,thread=multi -cpu max" ;;
	*) die "unknown accelerator $1" ;;
	esac
}

# vm_boot KDIR INITRD SHARE LOG ACCEL TIMEOUT_S APPEND: boot and wait; sets
# VM_STATUS (poweroff | timeout | noboot | qemu-error), VM_BOOT_S (host
# seconds until the guest's init ran, empty when it never did) and
# VM_BOOT_IMAGE (the file booted: vmlinux.pvh or the vmlinuz).
# VM_BOOT_TIMEOUT: seconds the guest has to reach init (default TIMEOUT_S);
# past it the VM is killed as noboot instead of waiting out TIMEOUT_S.
# WAC_VM_APPEND: more kernel command line, last (after "--": init's argv).
vm_boot() {
	local kdir=$1 initrd=$2 share=$3 log=$4 accel=$5 timeout=$6 append=${7:-}
	local vmlinuz mondir mon pid start deadline boot_deadline now rc
	vmlinuz=$(kernel_boot_image "$kdir")
	# shellcheck disable=SC2034 # read by harness/run (harness.json boot_image)
	VM_BOOT_IMAGE=$(basename "$vmlinuz")
	# A UNIX socket path has at most 108 bytes: keep it out of the
	# results tree, which may sit deep in a user's checkout.
	mondir=$(mktemp -d "${TMPDIR:-/tmp}/wacvm.XXXXXX")
	VM_MONDIR=$mondir
	mon=$mondir/monitor.sock
	rm -f "$log" "$log.results"
	VM_STATUS="" VM_BOOT_S=""
	vm_pmem_prepare "$mondir"
	start=$(now_s)
	# shellcheck disable=SC2046
	qemu-system-x86_64 $(qemu_accel_args "$accel") \
		-nodefaults -display none -no-reboot \
		-smp "$VM_CPUS" "${VM_PMEM_QEMU[@]}" \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-append "$VM_KERNEL_ARGS $append${VM_PMEM_APPEND:+ $VM_PMEM_APPEND}${WAC_VM_APPEND:+ $WAC_VM_APPEND}" \
		-serial "file:$log" \
		-monitor "unix:$mon,server,nowait" \
		-device virtio-serial-pci -chardev "file,id=wacresults,path=$log.results" \
		-device "virtserialport,chardev=wacresults,name=wac.results" \
		-fsdev "local,id=wacshare,path=$share,security_model=none" \
		-device "virtio-9p-pci,fsdev=wacshare,mount_tag=wacshare" \
		"${VM_EXTRA_ARGS[@]}" -nic none </dev/null >"$log.qemu" 2>&1 &
	pid=$!
	VM_PID=$pid
	now=$(date +%s)
	deadline=$((now + timeout))
	boot_deadline=$((now + ${VM_BOOT_TIMEOUT:-$timeout}))
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$VM_BOOT_S" ] && grep -qa 'wac-guest: booted' "$log" 2>/dev/null; then
			VM_BOOT_S=$(elapsed_s "$start")
			[ -n "${VM_ON_BOOT:-}" ] && "$VM_ON_BOOT" "$VM_BOOT_S"
		fi
		now=$(date +%s)
		# VM_ON_TICK: a caller's own deadline (a batch item's), false to kill
		if [ "$now" -ge "$deadline" ] || { [ -z "$VM_BOOT_S" ] && [ "$now" -ge "$boot_deadline" ]; } ||
			{ [ -n "${VM_ON_TICK:-}" ] && ! "$VM_ON_TICK"; }; then
			vm_kill_hung "$pid" "$mon"
			rm -rf "$mondir"
			VM_STATUS=timeout
			[ -n "$VM_BOOT_S" ] || VM_STATUS=noboot
			VM_PID=""
			return 0
		fi
		sleep 0.25
	done
	rc=0
	wait "$pid" || rc=$?
	rm -rf "$mondir"
	VM_PID=""
	if [ -z "$VM_BOOT_S" ] && grep -qa 'wac-guest: booted' "$log" 2>/dev/null; then
		VM_BOOT_S=$(elapsed_s "$start")
	fi
	if [ "$rc" -ne 0 ]; then
		VM_STATUS=qemu-error
	elif [ -z "$VM_BOOT_S" ]; then
		VM_STATUS=noboot
	else
		VM_STATUS=poweroff
	fi
}

# monitor_cmd SOCKET COMMAND: one QEMU human-monitor command.
monitor_cmd() {
	command -v python3 >/dev/null 2>&1 || return 0
	python3 - "$1" "$2" <<-'EOF' >/dev/null 2>&1 || true
		import socket, sys, time
		s = socket.socket(socket.AF_UNIX)
		s.settimeout(3)
		s.connect(sys.argv[1])
		time.sleep(0.2)
		s.sendall((sys.argv[2] + "\n").encode())
		time.sleep(0.5)
		s.close()
	EOF
}

# vm_kill_hung PID MONITOR: ask the guest for blocked tasks (sysrq w), every
# task (t) and all CPUs' backtraces (l) through the emulated keyboard, give the
# console a moment, kill QEMU.
vm_kill_hung() {
	local pid=$1 mon=$2 k
	if [ -S "$mon" ]; then
		for k in w t l; do
			monitor_cmd "$mon" "sendkey alt-sysrq-$k"
			sleep 2
		done
	fi
	kill "$pid" 2>/dev/null || true
	sleep 1
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# vm_stop: kill a VM left running and drop its monitor socket (signal
# cleanup); a probe's share goes too.
vm_stop() {
	if [ -n "${VM_PID:-}" ]; then
		kill -9 "$VM_PID" 2>/dev/null || true
		wait "$VM_PID" 2>/dev/null || true
		VM_PID=""
	fi
	[ -z "${VM_MONDIR:-}" ] || rm -rf "$VM_MONDIR"
	[ -z "${VM_PROBE_SHARE:-}" ] || rm -rf "$VM_PROBE_SHARE"
	VM_MONDIR="" VM_PROBE_SHARE=""
}

# probe_accel KDIR INITRD: kvm when a short KVM boot reaches init, else
# tcg.  Cached per kernel for a day: the probe costs a boot.
probe_accel() {
	local kdir=$1 initrd=$2 release cache share
	if [ -n "${WAC_ACCEL:-}" ]; then
		echo "$WAC_ACCEL"
		return 0
	fi
	if [ ! -w /dev/kvm ]; then
		echo tcg
		return 0
	fi
	release=$(kernel_info "$kdir" release)
	cache=$WAC_CACHE/accel/$release
	if [ -f "$cache" ] && [ -n "$(find "$cache" -mmin -1440)" ]; then
		cat "$cache"
		return 0
	fi
	mkdir -p "$WAC_CACHE/accel"
	share=$(mktemp -d "$WAC_CACHE/accel/probe.XXXXXX")
	VM_PROBE_SHARE=$share
	vm_boot "$kdir" "$initrd" "$share" "$share/serial.log" kvm "$VM_PROBE_TIMEOUT"
	if [ -n "$VM_BOOT_S" ]; then
		echo kvm >"$cache"
		info "KVM probe: $release reached init in ${VM_BOOT_S}s under KVM"
	else
		echo tcg >"$cache"
		info "KVM probe: $release did not reach init in ${VM_PROBE_TIMEOUT}s under KVM ($VM_STATUS); using TCG"
		cp "$share/serial.log" "$WAC_CACHE/accel/$release.kvm-probe.log" 2>/dev/null || true
	fi
	rm -rf "$share"
	VM_PROBE_SHARE=""
	cat "$cache"
}

# ------------------------------------------------------ persistent memory
# A VM whose items use device = pmem gets emulated persistent memory
# (VM_PMEM_MB > 0, set by the batch from its items, vm_pmem_mb):
#   nvdimm  (default) QEMU's NVDIMM: an ACPI NFIT region without labels,
#           backed by a file QEMU creates and unlinks in the VM's private
#           temporary directory (fresh zeros every boot, gone with QEMU)
#   memmap  WAC_VM_PMEM_MODE=memmap: guest RAM above VM_MEM_MB reserved
#           with memmap=SIZE!OFFSET (an e820 type-12 legacy region)
# Either way the guest sees namespace0.0 in raw mode and makes it fsdax
# with ndctl (harness/lib/device.sh dev_pmem): raw pmem has no struct
# pages, and filesystem DAX needs them.
VM_PMEM_MB=${VM_PMEM_MB:-0}
VM_PMEM_MODE=${WAC_VM_PMEM_MODE:-nvdimm}
VM_PMEM_QEMU=()
VM_PMEM_APPEND=""

# vm_pmem_prepare DIR: VM_PMEM_QEMU (the -m argument and the NVDIMM) and
# VM_PMEM_APPEND (kernel arguments) for VM_PMEM_MB; the backing file's
# directory is DIR.
vm_pmem_prepare() {
	VM_PMEM_QEMU=(-m "$VM_MEM_MB") VM_PMEM_APPEND=""
	[ "${VM_PMEM_MB:-0}" -gt 0 ] || return 0
	case $VM_PMEM_MODE in
	nvdimm)
		VM_PMEM_QEMU=(-machine "pc,nvdimm=on"
			-m "$VM_MEM_MB,slots=2,maxmem=$((VM_MEM_MB + VM_PMEM_MB))M"
			-object "memory-backend-file,id=wacpmem0,share=on,mem-path=$1,size=${VM_PMEM_MB}M"
			-device "nvdimm,id=wacnvdimm0,memdev=wacpmem0")
		;;
	memmap)
		# 128 MiB of RAM above the region: the firmware reserves the top
		# of RAM (ACPI tables), which would split the region (seen: "nd_pmem
		# namespace1.0: ... misaligned, unable to map")
		VM_PMEM_QEMU=(-m "$((VM_MEM_MB + VM_PMEM_MB + 128))")
		VM_PMEM_APPEND="memmap=${VM_PMEM_MB}M!${VM_MEM_MB}M"
		;;
	*) die "WAC_VM_PMEM_MODE must be nvdimm or memmap, not '$VM_PMEM_MODE'" ;;
	esac
}

# vm_pmem_mb ENV...: MiB of persistent memory a VM needs for these items:
# the largest dev_size_mb among those on device = pmem, plus room for the
# fsdax namespace's page map, rounded up to the 128 MiB of a memory
# section (hot-plugged ZONE_DEVICE memory); 0 when no item uses pmem.
vm_pmem_mb() {
	local env max=0 size
	for env in "$@"; do
		grep -qx "SCN_DEVICE='pmem'" "$env" || continue
		size=$(sed -n "s/^SCN_DEV_SIZE_MB='\([0-9]*\)'$/\1/p" "$env")
		[ "${size:-0}" -le "$max" ] || max=$size
	done
	[ "$max" -gt 0 ] || {
		echo 0
		return 0
	}
	echo $(((max + 32 + 127) / 128 * 128))
}

# vm_needs ENV: what the VM must be booted with for this item ("pmem" or
# ""): items that differ never share a boot (harness/run's batching), so
# that no other scenario runs beside an NVDIMM it did not ask for.
vm_needs() {
	if grep -qx "SCN_DEVICE='pmem'" "$1"; then echo pmem; fi
}
