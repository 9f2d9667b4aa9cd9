#!/bin/bash
# Profile G (allocation churn) cases of tests/host/run, sourced by it:
# G passes on loop ext4, xfs and btrfs and on tmpfs (no ZERO_RANGE); a
# range punched behind the oracle's back is lost, old data put back into
# a hole is exposed; prefill_device = foreign fills a device with another
# run's records.

# check_churn_run JSON: a clean G run that really churned.
check_churn_run() {
	local json=$1 sectors sum op
	assert_eq "verdict" pass "$(jget "$json" .verdict)" || return 1
	sectors=$(jget "$json" .integrity.verify.sectors)
	sum=$(jget "$json" '.integrity.verify | .ok + .unwritten + .stale + .raced + .collision + .hole')
	assert_eq "ok+unwritten+stale+raced+collision+hole" "$sectors" "$sum" || return 1
	assert_ge "sectors read back as holes" 1 "$(jget "$json" .integrity.verify.hole)" || return 1
	assert_eq "contract findings" 0 "$(jget "$json" .integrity.contract.total)" || return 1
	for op in punch_hole realloc_write; do
		assert_ge "$op ops" 1 "$(jget "$json" ".integrity.churn.ops.$op.count")" || return 1
	done
	assert_ge "write ops" 1 "$(ops_of "$json" write)" || return 1
	assert_ge "mmap stores" 1 "$(ops_of "$json" mmap_store)"
}

# churn_on MNT NAME: profile G on a file of MNT; the JSON at $WORK/NAME.json.
churn_on() {
	local rc=0
	"$WAC" -q -p G -t 8 -s 2m -T 4 --hang-timeout 60s \
		--json "$WORK/$2.json" "$1/wac-G.dat" || rc=$?
	assert_eq "exit status of profile G on $2" 0 "$rc" || return 1
	check_churn_run "$WORK/$2.json"
}

# churn_every_op JSON: punch, zero and cut all ran; nothing unsupported;
# mmap stores met the cut and were counted as expected, not as findings.
churn_every_op() {
	local op
	for op in zero_range truncate; do
		assert_ge "$op ops" 1 "$(jget "$1" ".integrity.churn.ops.$op.count")" || return 1
	done
	assert_eq "unsupported" '{}' "$(jq -c .integrity.churn.unsupported "$1")" || return 1
	assert_ge "expected SIGBUS in the cut window" 1 \
		"$(jget "$1" .integrity.churn.sigbus_expected)"
}

test_profile_g_ext4_xfs() {
	_require_loop
	churn_on "$EXT4_MNT" G-ext4 || return 1
	churn_every_op "$WORK/G-ext4.json" || return 1
	[ -n "$XFS_MNT" ] || _skip "no mkfs.xfs"
	churn_on "$XFS_MNT" G-xfs || return 1
	churn_every_op "$WORK/G-xfs.json"
}

test_profile_g_btrfs() {
	_require_loop
	_require_cmd mkfs.btrfs
	_mount_loop_fs btrfs 512 || _skip "cannot make a loop btrfs"
	churn_on "$MNT" G-btrfs || return 1
	churn_every_op "$WORK/G-btrfs.json"
}

test_profile_g_tmpfs_no_zero_range() {
	# shmem has PUNCH_HOLE but no ZERO_RANGE: recorded, not a failure
	_require_root
	local mnt=$WORK/tmpfs-churn
	mkdir -p "$mnt"
	mount -t tmpfs -o size=64m wac-churn "$mnt" || _skip "cannot mount tmpfs"
	dev_undo_push dev_unmount "$mnt"
	churn_on "$mnt" G-tmpfs || return 1
	assert_eq "unsupported" '{"zero_range":"EOPNOTSUPP"}' \
		"$(jq -c .integrity.churn.unsupported "$WORK/G-tmpfs.json")" || return 1
	assert_eq "zero_range ops" 0 "$(jget "$WORK/G-tmpfs.json" .integrity.churn.ops.zero_range.count)"
}

# holes_in FILE SIZE: "offset length" of each hole (SEEK_HOLE) below SIZE.
holes_in() {
	python3 - "$1" "$2" <<'EOF'
import os, sys
fd, size, off = os.open(sys.argv[1], os.O_RDONLY), int(sys.argv[2]), 0
while off < size:
    try:
        hole = os.lseek(fd, off, os.SEEK_HOLE)
    except OSError:
        break
    if hole >= size:
        break
    try:
        data = os.lseek(fd, hole, os.SEEK_DATA)
    except OSError:
        data = size
    print(hole, min(data, size) - hole)
    off = min(data, size)
EOF
}

# put_back SNAPSHOT FILE SIZE HOLES_OF: the snapshot's non-zero sectors
# copied into FILE where HOLES_OF (the run's target) has holes; prints how
# many sectors it put back.
put_back() {
	local n=0 off len s buf
	while read -r off len; do
		for ((s = off; s < off + len; s += 512)); do
			buf=$(dd if="$1" bs=512 skip=$((s / 512)) count=1 status=none | tr -d '\0' | head -c 1)
			[ -n "$buf" ] || continue
			dd if="$1" of="$2" bs=512 skip=$((s / 512)) seek=$((s / 512)) count=1 \
				conv=notrunc status=none
			n=$((n + 1))
		done
	done < <(holes_in "$4" "$3")
	echo "$n"
}

test_churn_lost_and_exposed() {
	# After a G run: the untouched target verifies (negative control); a
	# written range punched behind the oracle's back is lost; records a
	# mid-run snapshot held, put back into the run's holes, are exposed.
	_require_loop
	local dir rc=0 pid n
	dir=$(mktemp -d "$EXT4_MNT/churn.XXXXXX")
	"$WAC" -q -p G -t 8 -s 1m -T 4 --state "$dir/state" --json "$dir/run.json" \
		"$dir/target" &
	pid=$!
	sleep 2
	cp --sparse=never "$dir/target" "$dir/snapshot"
	wait "$pid" || rc=$?
	assert_eq "the run itself" 0 "$rc" || return 1
	rc=0
	"$WAC" verify -q --state "$dir/state" --json "$dir/v.json" "$dir/target" || rc=$?
	assert_eq "untouched target verifies" 0 "$rc" || return 1
	assert_ge "holes verified" 1 "$(jget "$dir/v.json" .integrity.verify.hole)" || return 1

	# region 0 (the first 64 KiB) belongs to the write and mmap threads
	cp --sparse=always "$dir/target" "$dir/lost"
	fallocate -p -o 0 -l 65536 "$dir/lost"
	expect_verify "$dir" "$dir/lost" lost || return 1
	assert_eq "exposed in the punched copy" 0 "$(jget "$dir/v.json" .integrity.verify.exposed)" || return 1

	cp --sparse=always "$dir/target" "$dir/exposed"
	n=$(put_back "$dir/snapshot" "$dir/exposed" 1048576 "$dir/target")
	assert_ge "sectors put back into holes" 1 "$n" || return 1
	expect_verify "$dir" "$dir/exposed" exposed || return 1
	jq -e '.channels | index("verify:exposed")' "$dir/v.json" >/dev/null ||
		_fail "no verify:exposed channel" || return 1
	assert_eq "exposed data is this run's own" "$(jget "$dir/run.json" .run_id)" \
		"$(jget "$dir/v.json" '[.integrity.verify.first[] | select(.class == "exposed") | .found_run][0]')"
}

test_prefill_device_foreign() {
	# The device library fills a raw device with another run's records;
	# G on ext4 made over it still passes (ext4 zeroes what it hands out),
	# and the scenario key is checked (a disk is needed).
	_require_loop
	local dev mnt=$WORK/mnt-foreign bytes magic rc=0
	dev=$(dev_loop 64) || return 1
	bytes=$(dev_prefill_foreign "$dev" "$WAC" 7) || return 1
	assert_eq "bytes filled" $((64 << 20)) "$bytes" || return 1
	magic=$(dd if="$dev" bs=512 skip=12345 count=1 status=none | head -c 8)
	assert_eq "a record on the raw device" WACSECT1 "$magic" || return 1
	dev_mkfs ext4 "$dev" && dev_mount ext4 "$dev" "$mnt" || return 1
	churn_on "$mnt" G-foreign || return 1
	assert_eq "foreign sectors" 0 "$(jget "$WORK/G-foreign.json" .integrity.verify.foreign)" || return 1
	"$TOP_DIR/harness/run" --check "$TOP_DIR/scenarios/churn-G-ext4-foreign.scn" >/dev/null || return 1
	printf 'description = x\ndevice = tmpfs\nfs = tmpfs\nprefill_device = foreign\nexpect = pass\n' \
		>"$WORK/bad.scn"
	"$TOP_DIR/harness/run" --check "$WORK/bad.scn" 2>"$WORK/bad.err" >/dev/null || rc=$?
	assert_eq "a tmpfs scenario with prefill_device" 2 "$rc" || return 1
	grep -q "prefill_device needs a disk" "$WORK/bad.err" || _fail "message: $(cat "$WORK/bad.err")"
}

test_profile_g_raw_device() {
	# a block device: punch and zero go to the device (blkdev_fallocate),
	# ftruncate cannot apply: recorded as unsupported, the run passes
	_require_loop
	local dev rc=0 json=$WORK/G-raw.json
	dev=$(dev_loop 16) || return 1
	"$WAC" -q -p G -t 8 -s 8m -T 3 --json "$json" "$dev" || rc=$?
	assert_eq "exit status of profile G on $dev" 0 "$rc" || return 1
	check_churn_run "$json" || return 1
	assert_eq "unsupported" '{"truncate":"not a regular file"}' \
		"$(jq -c .integrity.churn.unsupported "$json")"
}
