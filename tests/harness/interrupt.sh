#!/bin/bash
# Interrupt cases of tests/harness/run, sourced by it: signals at random
# moments of a native run and of VM runs (one into -j 2), and what each
# leaves behind.

INT_N=0
INT_LATE=0
INT_BASH_BUG=0

# interrupt_once SIG DELAY ARGS...: harness/run ARGS (its results and its
# TMPDIR private to this sample), SIG after DELAY seconds, then what it
# leaves: exit 128+signo; no process naming its results or TMPDIR (QEMU,
# timeout, the scenario, wac); no temporary file, socket, loop device,
# mount, scsi_debug or wac-* dm device; and either no run directory (the
# signal came before there was one) or a harness.json with outcome
# interrupted -- or the real one when harness/run says no scenario was
# running any more.  A run that ended before the signal counts as late.
interrupt_once() {
	local sig=$1 delay=$2 n tmp res id out pid rc=0 want outcome="" phase=""
	shift 2
	INT_N=$((INT_N + 1))
	n=$INT_N
	tmp=$WORK/int/tmp-$n id=i$n out=$WORK/int/out-$n
	mkdir -p "$tmp"
	res=$(mktemp -d "$WORK/int/res.XXXXXX")
	want=$((128 + $(kill -l "$sig")))
	# a script's background job starts with SIGINT ignored; a user's
	# harness/run does not: give it the default back
	TMPDIR=$tmp env --default-signal=INT "$HARNESS/run" -q --results "$res" --run-id "$id" "$@" \
		>"$out" 2>&1 &
	pid=$!
	sleep "$delay"
	kill -"$sig" "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	# bash 5.2 can die of a trap it failed to parse (harness/NOTES.md,
	# "The native signal test's flake"): exit 2 with bash's message; the
	# EXIT trap still stops and judges the scenario, so every check
	# below holds but harness/run's own messages
	INT_BASH_BUG=0
	if [ "$rc" = 2 ] && grep -q "trap: line [0-9]*: unexpected EOF while looking for matching" "$out"; then
		INT_BASH_BUG=1
		rc=$want
	fi
	[ "$rc" = "$want" ] || [ "$rc" = 0 ] || { cat "$out"; _fail "sample $n: exit $rc, expected $want"; return 1; }
	if pgrep -f -- "$tmp|$res/$id" >/dev/null; then
		_fail "sample $n: processes left: $(pgrep -af -- "$tmp|$res/$id")" || return 1
	fi
	[ -z "$(find "$tmp" -mindepth 1)" ] || _fail "sample $n: left in TMPDIR: $(find "$tmp" -mindepth 1)" || return 1
	# the devices of a native run are the host's (a VM's die with it)
	if [[ " $* " == *" --backend native "* ]]; then
		! losetup -a 2>/dev/null | grep -qF "$tmp" || _fail "sample $n: a loop device is left" || return 1
		! grep -q ' /mnt/wac ' /proc/mounts || _fail "sample $n: /mnt/wac is still mounted" || return 1
		[ ! -d /sys/module/scsi_debug ] || _fail "sample $n: scsi_debug is loaded on the host" || return 1
		! dmsetup ls 2>/dev/null | grep -q '^wac-' || _fail "sample $n: a wac-* dm device is left" || return 1
	fi
	if [ ! -d "$res/$id" ]; then
		phase="before the run directory"
		# within its first few ms bash has not read the script's first
		# trap yet: the default action, silent, with nothing created
		if [ "$rc" = "$want" ] && [ ! -s "$out" ] && awk -v d="$delay" 'BEGIN { exit !(d < 0.1) }'; then
			phase="before bash read the script"
		else
			[ "$rc" = "$want" ] && { [ "$INT_BASH_BUG" = 1 ] || grep -q 'no scenario was running' "$out"; } ||
				_fail "sample $n: no run directory, yet: $(cat "$out")" || return 1
		fi
	else
		check_interrupted_run "$n" "$res/$id" "$rc" "$want" "$out" || return 1
	fi
	[ "$INT_BASH_BUG" = 0 ] || phase="bash lost the trap (exit 2); ${phase:-}"
	printf '    %5.2fs SIG%-4s exit %s  %-12s %s\n' "$delay" "$sig" "$rc" "${outcome:-nothing left}" "${phase:-}"
}

# check_interrupted_run N RUNDIR RC WANT OUT: what a run interrupted (or
# ended) left in RUNDIR: no batch directory, share or rows file; a
# harness.json in every scenario directory, each ok (judged before the
# signal) or interrupted, at least one interrupted unless harness/run said
# no scenario was running; all ok when it ended before the signal.  Sets
# outcome and phase for the sample's line.
check_interrupted_run() {
	local n=$1 run=$2 rc=$3 want=$4 out=$5 dir doc o cut=0 ndirs=0 left
	left=$(find "$run" -mindepth 1 -maxdepth 1 -name '.*')
	[ -z "$left" ] || _fail "sample $n: left in the run directory: $left" || return 1
	outcome=""
	while IFS= read -r dir; do
		ndirs=$((ndirs + 1))
		[ ! -d "$dir/share" ] || _fail "sample $n: the 9p share was left in $dir" || return 1
		doc=$dir/harness.json
		[ -f "$doc" ] || _fail "sample $n: no harness.json in $dir" || return 1
		o=$(jq -r .outcome "$doc")
		outcome+="${outcome:+,}$o"
		phase=$(tail -n 1 "$dir/steps.log" 2>/dev/null | cut -c1-40)
		case $o in
		interrupted) cut=$((cut + 1)) ;;
		ok) ;;
		*) _fail "sample $n: $(basename "$dir"): outcome $o" || return 1 ;;
		esac
	done < <(find "$run" -mindepth 1 -maxdepth 1 -type d ! -name '.*')
	[ "$ndirs" -gt 0 ] || _fail "sample $n: an empty run directory was left" || return 1
	if [ "$rc" = 0 ]; then
		INT_LATE=$((INT_LATE + 1))
		assert_eq "sample $n (ended before the signal): interrupted scenarios" 0 "$cut" || return 1
	elif [ "$INT_BASH_BUG" = 1 ]; then
		return 0
	elif [ "$cut" = 0 ]; then
		grep -q 'no scenario was running' "$out" ||
			_fail "sample $n: nothing judged interrupted, yet harness/run said: $(cat "$out")" || return 1
	else
		grep -q "judged interrupted" "$out" ||
			_fail "sample $n: harness/run did not say what it judged interrupted: $(cat "$out")" || return 1
	fi
}

# interrupt_spread N WALL_S ARGS...: N samples, one in each Nth of WALL_S
# (at a random point of it), SIGINT and SIGTERM in turn.
interrupt_spread() {
	local n=$1 wall=$2 k delay sig
	shift 2
	for ((k = 0; k < n; k++)); do
		delay=$(awk -v w="$wall" -v k="$k" -v n="$n" -v r="$RANDOM" 'BEGIN { printf "%.2f", w * (k + r / 32768) / n }')
		sig=INT
		[ $((k % 2)) = 0 ] || sig=TERM
		interrupt_once "$sig" "$delay" "$@" || return 1
	done
}

test_interrupt_native() {
	# 16 signals spread over a whole native run of a short loop scenario
	# (parsing, setup, mkfs, the run, wac's verify, the undo stack)
	[ "$(id -u)" -eq 0 ] || _skip "needs root"
	[ -x "$TOP_DIR/wac/wac" ] || _skip "wac/wac not built"
	[ -d /sys/module/loop ] || _skip "no loop driver in this kernel"
	local scn=$DATA/interrupt-loop.scn start wall rc=0
	start=$(date +%s%N)
	"$HARNESS/run" -q --backend native --results "$WORK/int/res" --run-id whole "$scn" >"$WORK/int-whole.out" 2>&1 || rc=$?
	wall=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	assert_eq "uninterrupted run" 0 "$rc" || { cat "$WORK/int-whole.out"; return 1; }
	echo "    uninterrupted: ${wall}s"
	interrupt_spread 16 "$wall" --backend native "$scn" || return 1
	# the samples must mostly land inside a run (how many miss depends on
	# the machine's load: the runs get shorter or longer than the first)
	[ "$INT_LATE" -le 8 ] || _fail "$INT_LATE of 16 signals came after the run ended"
}

test_interrupt_vm() {
	# 4 signals into a VM run on $KERNEL (kernel lookup and initramfs,
	# boot, the scenario, its end), spread over the e2e item's boot and
	# wall time; then one into two VMs at once (-j 2: the shards stop
	# their VMs, the lead gathers their rows)
	[ "${WAC_TEST_SKIP_VM:-0}" = 1 ] && _skip "WAC_TEST_SKIP_VM=1"
	local doc wall
	doc=$(find "$WORK/runs/e2e" -path "*/clean-A-ext4@*/harness.json" 2>/dev/null | head -n 1)
	[ -n "$doc" ] || _skip "the VM matrix did not run"
	wall=$(jq -r '(.boot_s // 0) + .wall_s + 5' "$doc")
	echo "    the e2e item took ${wall}s with its boot"
	interrupt_spread 4 "$wall" --kernel "$KERNEL" "$TOP_DIR/scenarios/clean-A-ext4.scn" || return 1
	interrupt_once TERM "$(jq -n "$wall * 0.8")" -j 2 --kernel "$KERNEL" \
		"$TOP_DIR/scenarios/clean-A-ext4.scn" "$TOP_DIR/scenarios/negative-control-A.scn"
}
