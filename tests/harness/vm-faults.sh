#!/bin/bash
# VM failure-mode cases of tests/harness/run, sourced by it: a VM past its
# deadline, a VM that never reaches init, and a share that delivers
# nothing (the results channel).

test_vm_timeout_is_hang() {
	# The VM outlives its deadline: QEMU is killed, the serial log is kept
	# with the guest watchdog's blocked-task dump, the outcome is hang.
	[ "${WAC_TEST_SKIP_VM:-0}" = 1 ] && _skip "WAC_TEST_SKIP_VM=1"
	[ -d "$WORK/runs/e2e" ] || _skip "the VM matrix did not run"
	local rc=0 doc
	WAC_VM_BOOT_ALLOWANCE=45 "$HARNESS/run" -q --kernel "$KERNEL" --backend vm \
		--results "$WORK/runs" --run-id timeout "$DATA/vm-timeout.scn" >"$WORK/timeout.out" 2>&1 || rc=$?
	doc=$(find "$WORK/runs/timeout" -name harness.json | head -n 1)
	[ -n "$doc" ] || { cat "$WORK/timeout.out"; _fail "no harness.json"; return 1; }
	assert_eq "observed verdict" hang "$(jq -r .observed.verdict "$doc")" || return 1
	assert_eq "vm status" timeout "$(jq -r .observed.vm_status "$doc")" || return 1
	assert_eq "outcome" ok "$(jq -r .outcome "$doc")" || return 1
	grep -aq 'watchdog: scenario still running' "$(dirname "$doc")/serial.log" ||
		_fail "the serial log lacks the guest watchdog's report" || return 1
	# every task was dumped (sysrq t) and read back into harness.json
	assert_ge "task dumps read" 1 "$(jq '.observed.tasks.dumps // 0' "$doc")" || return 1
	assert_ge "tasks in the dump" 10 "$(jq '.observed.tasks.tasks // 0' "$doc")" || return 1
	host_is_clean
}

test_vm_boot_hang_is_noboot() {
	# A guest that never reaches the suite's init (here init is sleep(1);
	# seen for real: 6.1 in a soft lockup in cryptomgr_test under TCG) is
	# killed at the boot allowance, booted once more, and ends as error
	# "noboot" with its first serial log kept, not after the batch's
	# whole deadline (120 s + the item's 240 s + 30 s).
	[ "${WAC_TEST_SKIP_VM:-0}" = 1 ] && _skip "WAC_TEST_SKIP_VM=1"
	[ -d "$WORK/runs/e2e" ] || _skip "the VM matrix did not run"
	local rc=0 doc start wall
	start=$(date +%s)
	WAC_VM_BOOT_ALLOWANCE=15 WAC_VM_APPEND="rdinit=/usr/bin/sleep -- 100000" \
		"$HARNESS/run" -q --kernel "$KERNEL" --results "$WORK/runs" --run-id boothang \
		"$TOP_DIR/scenarios/clean-A-ext4.scn" >"$WORK/boothang.out" 2>&1 || rc=$?
	wall=$(($(date +%s) - start))
	doc=$(find "$WORK/runs/boothang" -name harness.json | head -n 1)
	[ -n "$doc" ] || { cat "$WORK/boothang.out"; _fail "no harness.json"; return 1; }
	assert_eq "exit status" 1 "$rc" || return 1
	assert_eq "outcome" error "$(jq -r .outcome "$doc")" || return 1
	assert_eq "vm status" noboot "$(jq -r .observed.vm_status "$doc")" || return 1
	assert_eq "boot retries" 1 "$(jq -r .observed.boot_retries "$doc")" || return 1
	[ -f "$(dirname "$doc")/serial.boot-failure.log" ] || _fail "first boot's serial log not kept" || return 1
	grep -aq "Run /usr/bin/sleep as init process" "$(dirname "$doc")/serial.log" ||
		_fail "the guest did not run the hanging init" || return 1
	# two allowances of 15 s and two boots, far below the 390 s deadline
	[ "$wall" -lt 200 ] || _fail "took ${wall}s: the boot allowance was not enforced" || return 1
	host_is_clean
}

test_results_channel() {
	# The share's out directory is hidden in the guest: every result
	# arrives through the framed results channel, and the run is judged.
	[ "${WAC_TEST_SKIP_VM:-0}" = 1 ] && _skip "WAC_TEST_SKIP_VM=1"
	[ -d "$WORK/runs/e2e" ] || _skip "the VM matrix did not run"
	local rc=0 doc
	"$HARNESS/run" -q --kernel "$KERNEL" --results "$WORK/runs" --run-id lost \
		"$DATA/vm-lost-share.scn" >"$WORK/lost.out" 2>&1 || rc=$?
	doc=$(find "$WORK/runs/lost" -name harness.json | head -n 1)
	[ -n "$doc" ] || { cat "$WORK/lost.out"; _fail "no harness.json"; return 1; }
	assert_eq "outcome" ok "$(jq -r .outcome "$doc")" || { jq -r .reason "$doc"; return 1; }
	assert_eq "vm status" poweroff "$(jq -r .observed.vm_status "$doc")" || return 1
	jq -e '.observed.recovered | index("wac-1.json") and index("exit") and index("result.json")' "$doc" >/dev/null ||
		_fail "recovered: $(jq -c .observed.recovered "$doc")" || return 1
	assert_eq "ops/s from the recovered wac document" true "$(jq '.observed.ops_per_s > 0' "$doc")"
}

test_batch_serial_cut() {
	# The guest's markers are kernel records ("[ seconds] wac-guest: item
	# NNNN begin ..."), or plain lines from an older guest: each item's
	# serial log is the boot prologue and its own lines, whatever else
	# the kernel printed around them.
	local log=$WORK/batch-serial.log one two
	printf '%s\n' '[    0.1] Linux version 6.1' '[    2.8] wac-guest: booted 2.86' \
		'[    3.8] wac-guest: item 0001 begin at 3.85: a' 'one: sh[1]' \
		'[ 9.1] wac-guest: item 0001 end at 9.10: exit 0' \
		'wac-guest: item 0002 begin at 9.20: b' '[   10.0] sysrq: Show State' 'two: sh[1]' >"$log"
	# shellcheck source=../../harness/lib/batch.sh
	one=$(. "$HARNESS/lib/batch.sh" && batch_serial "$log" 0001)
	two=$(. "$HARNESS/lib/batch.sh" && batch_serial "$log" 0002)
	assert_eq "item 1: prologue, its lines" 5 "$(wc -l <<<"$one")" || return 1
	grep -q '^one: sh' <<<"$one" && ! grep -q 'two:\|item 0002' <<<"$one" ||
		_fail "item 1 holds: $one" || return 1
	assert_eq "item 2: prologue, its lines" 5 "$(wc -l <<<"$two")" || return 1
	grep -q 'Show State' <<<"$two" && ! grep -q 'one:\|item 0001' <<<"$two" ||
		_fail "item 2 holds: $two"
}
