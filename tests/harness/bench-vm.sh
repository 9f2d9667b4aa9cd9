#!/bin/bash
# Benchmark cases of tests/harness/run, sourced by it: harness/cost --pi
# (the cost of T10 PI with its stable pages, in the VM, beside the
# loop-device arms of tests/host) and bench/matrix-time.

test_cost_pi_bad_input() {
	# its arms live in a VM: one line, exit 2, nothing made
	local rc=0 err
	err=$("$HARNESS/cost" --pi --out "$WORK/cpi-bad" 2>&1) || rc=$?
	assert_eq "exit of cost --pi" 2 "$rc" || return 1
	assert_eq "lines of cost --pi" 1 "$(grep -c '' <<<"$err")" || return 1
	grep -q -- '--vm' <<<"$err" || _fail "no hint at --vm: $err" || return 1
	[ ! -e "$WORK/cpi-bad" ] || _fail "cost --pi made its results directory"
}

test_cost_pi_vm() {
	# one VM, a scsi_debug disk loaded for each run without PI (arm 0) or
	# with DIF type 1 + DIX (arm 1 and again, the A/A); every run's JSON
	# shows its disk's integrity profile, and every run passes
	[ "${WAC_TEST_SKIP_VM:-0}" = 1 ] && _skip "WAC_TEST_SKIP_VM=1"
	_require_cmd qemu-system-x86_64 busybox cpio jq dpkg-deb
	[ -x "$TOP_DIR/wac/wac-static" ] || _skip "wac/wac-static not built (make)"
	local out=$WORK/cost-pi arm f n want
	"$HARNESS/cost" --vm --kernel "$KERNEL" --pi --quick --aa --no-import --out "$out" \
		>"$WORK/cost-pi.out" 2>&1 || { tail -n 5 "$WORK/cost-pi.out"; return 1; }
	for arm in 0 1 aa; do
		want=$([ "$arm" = 0 ] && echo none || echo T10-DIF-TYPE1-CRC)
		n=$(awk -F'\t' -v a="$arm" '$5 == a' "$out/cost.tsv" | wc -l)
		# A: write; B: mmap_store; 2 modes, 2 runs
		assert_eq "rows of arm $arm" 8 "$n" || return 1
		for f in "$out"/*-pi$arm-run*.json; do
			assert_eq "integrity of $(basename "$f")" "$want" \
				"$(jq -r '.target.integrity.format // "none"' "$f")" || return 1
			assert_eq "verdict of $(basename "$f")" pass "$(jq -r .verdict "$f")" || return 1
		done
	done
	grep -q 'off = arm 0 (scsi_debug:dif=0 dix=0), on = arm 1 (scsi_debug:dif=1 dix=1), A/A' "$out/cost.txt" ||
		_fail "no arm line: $(sed -n 2p "$out/cost.txt")" || return 1
	grep -q '^A .*write' "$out/cost.txt" || _fail "no A write row" || return 1
	sed -n '1,8p' "$out/cost.txt" | cut -c1-110 | sed 's/^/    /'
}

test_matrix_time() {
	# one scenario, isolated (bzImage) against batched: a table row per
	# mode, one VM each, the same outcome; bad input is one line, exit 2
	local rc=0 out err
	err=$("$TOP_DIR/bench/matrix-time" --jobs x 2>&1) || rc=$?
	assert_eq "exit of --jobs x" 2 "$rc" || return 1
	assert_eq "lines of --jobs x" 1 "$(grep -c '' <<<"$err")" || return 1
	[ "${WAC_TEST_SKIP_VM:-0}" = 1 ] && _skip "WAC_TEST_SKIP_VM=1"
	_require_cmd qemu-system-x86_64 busybox cpio jq dpkg-deb bc
	rc=0
	out=$("$TOP_DIR/bench/matrix-time" --kernel "$KERNEL" --jobs 1 --isolated-bzimage \
		--out "$WORK/mt" "$TOP_DIR/scenarios/clean-A-ext4.scn" 2>&1) || rc=$?
	assert_eq "exit of matrix-time ($out)" 0 "$rc" || return 1
	grep -Eq '^1 +isolated +[0-9.]+ +1$' <<<"$out" || _fail "no isolated row: $out" || return 1
	grep -Eq '^1 +batched +[0-9.]+ +1$' <<<"$out" || _fail "no batched row: $out" || return 1
	grep -q 'outcomes identical (1 cells)' <<<"$out" || _fail "outcomes: $out" || return 1
	# the isolated run booted the vmlinuz, the batched one the PVH image
	assert_eq "isolated boot image" vmlinuz \
		"$(find "$WORK/mt/isolated-1" -name harness.json -exec jq -r '.boot_image | sub("-.*"; "")' {} +)" || return 1
	assert_eq "batched boot image" vmlinux.pvh \
		"$(find "$WORK/mt/batched-1" -name harness.json -exec jq -r .boot_image {} +)" || return 1
	echo "$out" | sed 's/^/    /'
}
