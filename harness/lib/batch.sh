#!/bin/bash
# shellcheck disable=SC2034 # BATCH_*, RUN_RECOVERED, BOOT_RETRIES: read by harness/run
# Batches: scenario cells of one kernel that share one VM boot (sourced by
# harness/run, not run).
#
# The share holds scenarios/NNNN.env; the guest (guest/vm-main.sh) runs
# them in order, each from freshly loaded devices with its own undo
# stack, results and kernel-log marker, and prints "wac-guest: item NNNN
# begin|end" on the console.  The host enforces each item's own deadline
# (its timeout plus BATCH_GRACE from its begin line), cuts the serial log
# at the markers, and hands the items that never began to the next VM: an
# item that hangs, crashes or taints the kernel ends its batch.

# a VM's boot (to its init: past it the VM is killed as noboot), before
# its first item; then each item's timeout + grace
VM_BOOT_ALLOWANCE=${WAC_VM_BOOT_ALLOWANCE:-120}
BATCH_GRACE=${WAC_BATCH_GRACE:-30}
BATCH_MAX=${WAC_BATCH_MAX:-16}

# batch_share SHARE ENV...: the 9p share for one VM.
batch_share() {
	local share=$1 env n=0
	shift
	mkdir -p "$share/guest" "$share/bin" "$share/out" "$share/scenarios"
	cp "$HARNESS_DIR"/guest/*.sh "$HARNESS_DIR/lib/device.sh" "$HARNESS_DIR/lib/memcg.sh" \
		"$HARNESS_DIR/lib/md.sh" "$HARNESS_DIR/lib/ocfs2.sh" \
		"$HARNESS_DIR/lib/steps.tsv" "$share/guest/"
	cp "$WAC_BIN" "$share/bin/wac"
	# the fio comparison runs in the guest too (bench/fio-vs-wac --vm)
	cp "$SUITE_DIR/bench/fio-vs-wac" "$share/bin/"
	for env in "$@"; do
		n=$((n + 1))
		cp "$env" "$share/scenarios/$(printf %04d "$n").env"
	done
}

# batch_tick: vm_boot's hook, every quarter second: false (kill the VM)
# when the item running has outlived its timeout plus the grace.
batch_tick() {
	local line n what
	line=$(grep -a -o 'wac-guest: item [0-9]* \(begin\|end\)' "$BATCH_LOG" 2>/dev/null | tail -n 1) || true
	[ -n "$line" ] || return 0
	read -r _ _ n what <<<"$line"
	if [ "$what" = end ]; then
		BATCH_CUR=""
		return 0
	fi
	if [ "${BATCH_CUR:-}" != "$n" ]; then
		BATCH_CUR=$n
		BATCH_CUR_START=$(date +%s)
	fi
	[ $(($(date +%s) - BATCH_CUR_START)) -lt $((BATCH_TIMEOUTS[10#$n] + BATCH_GRACE)) ]
}

# batch_serial LOG N: the serial log of item N: the boot prologue (up to
# the first item) and the lines from its begin to its end marker (kernel
# records: after the "[ seconds]" prefix).
batch_serial() {
	awk -v n="$2" '
		{ what = "" }
		match($0, /wac-guest: item [0-9]+ (begin|end)/) {
			split(substr($0, RSTART, RLENGTH), w, " ")
			item = w[3]
			what = w[4]
		}
		what == "begin" { started = 1; mine = (item == n) }
		!started || mine { print }
		what == "end" && item == n { mine = 0 }
	' "$1"
}

# batch_boot: one boot of batch_run's VM (its locals kdir, initrd, share,
# dir, accel, timeout): init within the boot allowance, items by
# batch_tick's deadlines.
batch_boot() {
	VM_BOOT_TIMEOUT=$VM_BOOT_ALLOWANCE VM_PMEM_MB=$BATCH_PMEM_MB VM_ON_TICK=batch_tick \
		vm_boot "$kdir" "$initrd" "$share" "$dir/serial.log" "$accel" "$timeout"
}

# batch_run KDIR INITRD ACCEL DIR ENV...: boot one VM for the items, leave
# each item's files in DIR/out/NNNN and set, per item (1-based),
# BATCH_STATUS[i]: poweroff (it finished), timeout, crash, noboot,
# qemu-error, or "pending" (it never began: run it in another VM), and
# BATCH_WALL[i] (seconds from its begin to its end, guest clock).
batch_run() {
	local kdir=$1 initrd=$2 accel=$3 dir=$4 share i timeout=$VM_BOOT_ALLOWANCE env
	shift 4
	share=$dir/share
	CURRENT_SHARE=$share
	batch_share "$share" "$@"
	BATCH_TIMEOUTS=()
	i=0
	for env in "$@"; do
		i=$((i + 1))
		BATCH_TIMEOUTS[i]=$(sed -n "s/^SCN_TIMEOUT='\([0-9]*\)'$/\1/p" "$env")
		timeout=$((timeout + BATCH_TIMEOUTS[i] + BATCH_GRACE))
	done
	BATCH_LOG=$dir/serial.log BATCH_CUR=""
	# persistent memory when the items use it (harness/run batches only
	# items of one vm_needs together)
	BATCH_PMEM_MB=$(vm_pmem_mb "$@")
	batch_boot
	BOOT_RETRIES=0
	if [ "$VM_STATUS" = noboot ] || [ "$VM_STATUS" = qemu-error ]; then
		# The kernel died before init (seen once: 7.2 oopsed in early
		# boot under TCG), or hung before init past VM_BOOT_ALLOWANCE
		# (6.1: a soft lockup in cryptomgr_test with two TCG VMs on two
		# cores): an infrastructure flake, not the scenario's finding.
		# Keep that log, boot once more.
		mv "$dir/serial.log" "$dir/serial.boot-failure.log"
		BOOT_RETRIES=1
		progress "[$CUR_IDX] the kernel did not reach init, booting again"
		BATCH_CUR=""
		batch_boot
	fi
	batch_collect "$dir" $#
}

# batch_collect DIR COUNT: after the VM of batch_run ended (VM_STATUS; or
# "interrupted" when harness/run got a signal and killed it): the share's
# results and the results channel into DIR/out, the share removed, and
# each item's BATCH_STATUS and BATCH_WALL.
batch_collect() {
	local dir=$1 count=$2 share=$1/share i n
	mkdir -p "$dir/out"
	cp -a "$share"/out/. "$dir/out/" 2>/dev/null || true
	rm -rf "$share"
	CURRENT_SHARE=""
	mv "$dir/serial.log.qemu" "$dir/qemu.log" 2>/dev/null || true
	# what the share did not deliver comes from the results channel
	mv "$dir/serial.log.results" "$dir/results.stream" 2>/dev/null || true
	BATCH_RECOVERED=$(python3 "$HARNESS_DIR/lib/frames.py" unpack "$dir/results.stream" "$dir/out")
	BATCH_STATUS=() BATCH_WALL=()
	for ((i = 1; i <= count; i++)); do
		n=$(printf %04d "$i")
		BATCH_WALL[i]=$(grep -a -o "wac-guest: item $n \(begin\|end\) at [0-9.]*" "$dir/serial.log" 2>/dev/null |
			awk '{ t[$4] = $6 } END { if (t["begin"] != "" && t["end"] != "") printf "%.1f", t["end"] - t["begin"] }') || true
		if [ -f "$dir/out/$n/exit" ]; then
			BATCH_STATUS[i]=poweroff
		elif grep -aq "wac-guest: item $n begin" "$dir/serial.log" 2>/dev/null; then
			# began and left no exit: killed at its deadline, or the
			# kernel died under it (panic=-1, -no-reboot ends QEMU)
			case $VM_STATUS in
			timeout | interrupted) BATCH_STATUS[i]=$VM_STATUS ;;
			*) BATCH_STATUS[i]=crash ;;
			esac
		else
			case $VM_STATUS in
			noboot | qemu-error) BATCH_STATUS[i]=$VM_STATUS ;;
			*) BATCH_STATUS[i]=pending ;;
			esac
		fi
	done
}

# batch_item_files DIR N ITEMDIR: item N's files, serial log and the names
# the results channel recovered; sets RUN_RECOVERED.
batch_item_files() {
	local dir=$1 n=$2 item=$3
	mv "$dir/out/$n"/* "$item/" 2>/dev/null || true
	batch_serial "$dir/serial.log" "$n" >"$item/serial.log" 2>/dev/null || true
	[ -f "$dir/qemu.log" ] && cp "$dir/qemu.log" "$item/qemu.log"
	[ -f "$dir/serial.boot-failure.log" ] && cp "$dir/serial.boot-failure.log" "$item/"
	RUN_RECOVERED=$(grep "^$n/" <<<"$BATCH_RECOVERED" | cut -d/ -f2- | paste -sd, -) || true
}
