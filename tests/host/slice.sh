#!/bin/bash
# wac --slice cases of tests/host/run, sourced by it: two processes own
# the two halves of one file on loop ext4 at the same time and both pass;
# a scribbler on the other slice's sectors is ignored, on this slice's it
# fails the run; a record of the other process in an owned sector is
# foreign.  Region 0 of a 1-4 MiB target is shared unit by unit (sector s
# is slice s mod 2 there: wac --help, --slice).

# scribble FILE FIRST: garbage over sectors FIRST, FIRST+2, ... below 128.
scribble() {
	local s
	for ((s = $2; s < 128; s += 2)); do
		head -c 512 /dev/urandom |
			dd of="$1" bs=512 seek="$s" conv=notrunc status=none
	done
}

# check_slice_json JSON K/N: a pass that judged only its slice.
check_slice_json() {
	local json=$1 size
	assert_eq "verdict of $2" pass "$(jget "$json" .verdict)" || return 1
	assert_eq "config.slice" "$2" "$(jget "$json" .config.slice)" || return 1
	size=$(jget "$json" '.config.size / .config.sector_size')
	assert_eq "judged + other slices' sectors of $2" "$size" \
		"$(jget "$json" '.integrity.verify | .sectors + .sectors_other_slices')" || return 1
	assert_ge "other slices' sectors of $2" 1 "$(jget "$json" .integrity.verify.sectors_other_slices)" || return 1
	assert_ge "sectors ok of $2" 1 "$(jget "$json" .integrity.verify.ok)"
}

test_slice_two_processes() {
	# G (churning) on slice 0 and C on slice 1 of one file, at once; each
	# verify again after both stopped (the other may have been running)
	_require_loop
	_mount_loop_fs ext4 64
	local f=$MNT/shared.dat rc0=0 rc1=0 pid0 k
	"$WAC" -q -p G -t 8 -s 4m -T 3 --hang-timeout 60s --slice 0/2 \
		--state "$WORK/sl0.bin" --json "$WORK/sl0.json" "$f" &
	pid0=$!
	"$WAC" -q -p C -t 8 -s 4m -T 3 --hang-timeout 60s --slice 1/2 \
		--state "$WORK/sl1.bin" --json "$WORK/sl1.json" "$f" || rc1=$?
	wait "$pid0" || rc0=$?
	assert_eq "exit of slice 0/2 (G)" 0 "$rc0" || return 1
	assert_eq "exit of slice 1/2 (C)" 0 "$rc1" || return 1
	check_slice_json "$WORK/sl0.json" 0/2 || return 1
	check_slice_json "$WORK/sl1.json" 1/2 || return 1
	assert_ge "units holed by slice 0" 1 "$(jget "$WORK/sl0.json" .integrity.churn.units_holed)" || return 1
	assert_ge "truncates by slice 0 (owns the tail)" 1 "$(jget "$WORK/sl0.json" .integrity.churn.ops.truncate.count)" || return 1
	for k in 0 1; do
		"$WAC" verify -q --slice "$k/2" --state "$WORK/sl$k.bin" \
			--json "$WORK/slv$k.json" "$f" || _fail "verify of slice $k/2 after both" || return 1
		check_slice_json "$WORK/slv$k.json" "$k/2" || return 1
	done
	# the other process's records in sectors of slice 0: foreign there
	for ((k = 0; k < 128; k += 2)); do
		dd if="$f" of="$f" bs=512 skip=$((k + 1)) seek="$k" count=1 conv=notrunc status=none
	done
	rc0=0
	"$WAC" verify -q --state "$WORK/sl0.bin" --json "$WORK/slf.json" "$f" || rc0=$?
	assert_eq "verify of slice 0 with slice 1's records in it" 1 "$rc0" || return 1
	assert_ge "foreign" 1 "$(jget "$WORK/slf.json" .integrity.verify.foreign)" || return 1
	"$WAC" verify -q --state "$WORK/sl1.bin" "$f" || _fail "slice 1, untouched, no longer passes"
}

test_slice_scribbler() {
	# a scribbler on slice 1's sectors during and after a run of slice
	# 0/2 is none of its business; on slice 0's sectors it is torn (the
	# negative control)
	_require_loop
	_mount_loop_fs ext4 16
	local f=$MNT/scribbled.dat rc=0 pid
	"$WAC" -q -p B -t 4 -s 1m -T 3 --hang-timeout 60s --slice 0/2 \
		--state "$WORK/sc.bin" --json "$WORK/sc.json" "$f" &
	pid=$!
	sleep 0.5
	while kill -0 "$pid" 2>/dev/null; do
		scribble "$f" 1
	done
	wait "$pid" || rc=$?
	assert_eq "exit of slice 0/2 with slice 1 scribbled" 0 "$rc" || return 1
	check_slice_json "$WORK/sc.json" 0/2 || return 1
	scribble "$f" 1
	"$WAC" verify -q --state "$WORK/sc.bin" "$f" || _fail "verify after scribbling slice 1" || return 1
	scribble "$f" 0
	rc=0
	"$WAC" verify -q --state "$WORK/sc.bin" --json "$WORK/sct.json" "$f" || rc=$?
	assert_eq "verify after scribbling slice 0" 1 "$rc" || return 1
	assert_ge "torn" 1 "$(jget "$WORK/sct.json" .integrity.verify.torn)"
}
