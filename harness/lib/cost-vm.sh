#!/bin/bash
# harness/cost --vm: the cost matrix inside one VM (sourced by harness/cost,
# which has parsed its options).  The share holds harness/cost itself,
# harness/lib/device.sh, wac-static as wac/wac and harness/guest/cost-vm.sh
# as the guest's vm-main.sh; the guest runs "cost --in-vm" with the same
# matrix options and leaves each run's JSON and runs.list in the share's
# out/, which comes back to OUT; the host then tabulates as for loop arms.
# An arm set that lives in a VM (ARM_SETS: where = vm) gets what it needs
# at boot here: dax the emulated NVDIMM.

# shellcheck source=common.sh
. "$TOP/harness/lib/common.sh"
# shellcheck source=kernel.sh
. "$TOP/harness/lib/kernel.sh"
# shellcheck source=initramfs.sh
. "$TOP/harness/lib/initramfs.sh"
# shellcheck source=vm.sh
. "$TOP/harness/lib/vm.sh"

# cost_vm_args: the matrix options for the guest's cost, one a line.
cost_vm_args() {
	printf '%s\n' --profiles "$PROFILES" --sizes "$SIZES" --modes "$MODES" \
		--runs "$RUNS" --duration "$DURATION" --threads "$THREADS" --fs "$FSTYPE"
	[ "$ARMS" = stable ] || echo "--$ARMS"
	[ "$FRESH_FS" = 0 ] || echo --fresh-fs
	[ "$AA" = 0 ] || echo --aa
	[ "$DROP_CACHES" = 1 ] || echo --no-drop-caches
	printf '%s\n' --warmup "$WARMUP"
	[ -z "$WAC_ARGS" ] || printf '%s\n' --wac-args "$WAC_ARGS"
}

# cost_vm_share DIR: the guest's share.
cost_vm_share() {
	local s=$1
	mkdir -p "$s/harness/lib" "$s/wac" "$s/guest" "$s/out"
	cp "$TOP/harness/cost" "$s/harness/"
	cp "$TOP/harness/lib/device.sh" "$s/harness/lib/"
	cp "$TOP/wac/wac-static" "$s/wac/wac"
	cp "$TOP/harness/guest/cost-vm.sh" "$s/guest/vm-main.sh"
	cost_vm_args >"$s/cost.args"
}

# cost_vm_timeout: every run's timeout, every arm, plus boot and mkfs.
cost_vm_timeout() {
	local n
	n=$(($(items | wc -l) * $(tr ',' '\n' <<<"$SIZES" | wc -l) * (RUNS + WARMUP) * $(arms | wc -w)))
	echo $((n * ($(duration_s) + 60) + 600))
}

cost_vm() {
	local kdir initrd accel
	command -v jq >/dev/null || die "jq not installed"
	[ -x "$TOP/wac/wac-static" ] || die "wac/wac-static not built (make -C wac)"
	kdir=$(ensure_kernel "$KERNEL") || die "kernel $KERNEL not available (harness/kernel list)"
	mkdir -p "$OUT"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/wac-cost-vm.XXXXXX")
	trap 'vm_stop; rm -rf "$WORK"' EXIT
	trap 'exit 130' INT TERM
	cost_vm_share "$WORK/share"
	# dax: a 512 MiB filesystem and the fsdax page map, in 128 MiB sections
	# shellcheck disable=SC2034 # read by vm_boot (vm.sh)
	[ "$(arm_set_field device)" != pmem ] || VM_PMEM_MB=640
	initrd=$(build_initramfs "$kdir")
	accel=$(probe_accel "$kdir" "$initrd")
	info "cost --$ARMS on $KERNEL ($accel): results $OUT"
	vm_boot "$kdir" "$initrd" "$WORK/share" "$OUT/serial.log" "$accel" "$(cost_vm_timeout)"
	cp -a "$WORK/share/out/." "$OUT/"
	[ "$VM_STATUS" = poweroff ] || {
		echo "cost: the VM did not finish: $VM_STATUS (serial log $OUT/serial.log)" >&2
		# shellcheck disable=SC2034 # harness/cost's exit status
		FAILED=1
	}
	[ -f "$OUT/runs.list" ] || die "the guest ran nothing: $(tail -n 3 "$OUT/guest.log" 2>/dev/null | tr '\n' ' ')"
	[ "$(cat "$OUT/guest-exit" 2>/dev/null)" = 0 ] || {
		echo "cost: the guest's cost exited $(cat "$OUT/guest-exit" 2>/dev/null || echo '?'): $(tail -n 3 "$OUT/guest.log" | tr '\n' ' ')" >&2
		# shellcheck disable=SC2034 # harness/cost's exit status
		FAILED=1
	}
	return 0
}
