# shellcheck shell=bash
# tests/results/compare-cases.sh: the cases of tests/results/run for
# results/wac-results compare (LKP-style flags, trimming, the run and
# night noise bars, usage errors).  Sourced by tests/results/run; uses its
# RESULTS, MKFIX, WORK and series.

test_compare_one_run_per_side() {
	local d=$WORK/one out rc=0
	series "$d" b base 1000
	series "$d" n new 500
	out=$("$RESULTS" --db "$d/db" compare --base label=base --new label=new) || rc=$?
	assert_eq "exit status" 0 "$rc" || return 1
	[[ $out == *"not enough runs"* ]] || _fail "no 'not enough runs' in: $out" || return 1
	[[ $out != *REGRESSION* ]] || _fail "single runs flagged: $out"
}

test_compare_identical() {
	local d=$WORK/ident out rc=0
	series "$d" b base 1000 1000 1000
	series "$d" n new 1000 1000 1000
	out=$("$RESULTS" --db "$d/db" compare --base label=base --new label=new) || rc=$?
	assert_eq "exit status" 0 "$rc" || return 1
	[[ $out == *"+0.0%"* ]] || _fail "no +0.0% in: $out"
}

test_compare_outlier_trimmed() {
	local d=$WORK/outlier out rc=0
	series "$d" b base 1000 1010 990 1005 995
	# one run of five lost 60%: trimmed, not a regression
	series "$d" n new 1002 998 1008 400 993
	out=$("$RESULTS" --db "$d/db" compare --base label=base --new label=new --why) || rc=$?
	assert_eq "exit status" 0 "$rc" || return 1
	[[ $out == *"5/5"* ]] || _fail "runs not 5/5: $out" || return 1
	[[ $out != *REGRESSION* ]] || _fail "outlier flagged: $out" || return 1
	# quiet because it was trimmed: the trimmed means (1000 vs 998,
	# -0.2%), not the untrimmed ones (-12%, quiet only as ranges overlap)
	grep -qE -- '-0\.2% +998 .* total\.ops_per_s +\(change below 5%\)' <<<"$out" ||
		_fail "total.ops_per_s not compared on trimmed means: $(grep total.ops_per_s <<<"$out")"
}

# compare_quiet NAME "BASE VALUES" "NEW VALUES" WHY: compare exits 0 and
# --why gives WHY
compare_quiet() {
	local d=$WORK/$1 out rc=0 base new
	read -ra base <<<"$2"
	read -ra new <<<"$3"
	series "$d" b base "${base[@]}"
	series "$d" n new "${new[@]}"
	out=$("$RESULTS" --db "$d/db" compare --base label=base --new label=new --why) || rc=$?
	assert_eq "exit status" 0 "$rc" || return 1
	[[ $out == *"$4"* ]] || _fail "expected '$4': $out"
}

# +-3% noise around the same mean, means 2% apart
test_compare_noise_quiet() {
	compare_quiet noise "1000 1030 975 1012 990" "985 1018 962 1001 970" "change below 5%"
}

# means 8% apart but the ranges overlap
test_compare_overlap_quiet() {
	compare_quiet overlap "1000 1100 900" "950 1000 810" "value ranges overlap"
}

# ranges apart and 15% lower, but one run of three at 600: the change is
# within two run-to-run SDs (30%)
test_compare_spread_quiet() {
	compare_quiet spread "1000 1010 990" "980 600 970" \
		"total.ops_per_s                    (change within 2 run-to-run SDs"
}

test_compare_flags_regression() {
	local d=$WORK/regr out rc=0
	series "$d" b base 1000 1010 990
	series "$d" n new 800 805 795
	series "$d" i better 1200 1210 1190
	out=$("$RESULTS" --db "$d/db" compare --base label=base --new label=new) || rc=$?
	assert_eq "exit status on a 20% slowdown" 1 "$rc" || return 1
	[[ $out == *"-20.0%"*"total.ops_per_s"*REGRESSION* ]] || _fail "no flagged -20%: $out" || return 1
	rc=0
	out=$("$RESULTS" --db "$d/db" compare --base label=base --new label=better) || rc=$?
	assert_eq "exit status on a speed-up" 0 "$rc" || return 1
	[[ $out == *improvement* ]] || _fail "speed-up not reported: $out" || return 1
	# --min-change above the change: quiet
	rc=0
	"$RESULTS" --db "$d/db" compare --base label=base --new label=new \
		--min-change '*=25' >/dev/null || rc=$?
	assert_eq "exit status with --min-change 25" 0 "$rc"
}

test_compare_latency_regression() {
	local d=$WORK/lat i rc=0 out
	mkdir -p "$d"
	for i in 1 2 3; do
		"$MKFIX" "$d/b$i.json" run_id=lb$i lat_p99=$((20000 + i * 100))
		"$MKFIX" "$d/n$i.json" run_id=ln$i lat_p99=$((30000 + i * 100))
	done
	"$RESULTS" --db "$d/db" import -q --label base "$d"/b*.json
	"$RESULTS" --db "$d/db" import -q --label new "$d"/n*.json
	out=$("$RESULTS" --db "$d/db" compare --base label=base --new label=new \
		--metric 'latency_ns.*.p99') || rc=$?
	assert_eq "exit status on +50% p99 latency" 1 "$rc" || return 1
	[[ $out == *latency_ns.mmap_store.p99*REGRESSION* ]] || _fail "p99 not flagged: $out"
}

# Whole nights move together: nights that swung +-14% make a -15% night
# quiet with --nights, while the per-run rules alone flag it; a -70% night
# is flagged either way.
test_compare_night_noise() {
	local d=$WORK/nights rc=0 out
	series "$d" a night-1 1000 1010 990
	series "$d" b night-2 1150 1160 1140
	series "$d" c night-3 1000 1005 995
	series "$d" e night-4 1140 1150 1130
	series "$d" f night-5 990 1000 980
	series "$d" g night-6 850 855 845
	series "$d" h night-7 300 305 295
	out=$("$RESULTS" --db "$d/db" compare --base label=night-5 --new label=night-6 \
		--metric total.ops_per_s --why) || rc=$?
	assert_eq "-15% without --nights: exit status" 1 "$rc" || { echo "$out"; return 1; }
	rc=0
	out=$("$RESULTS" --db "$d/db" compare --base label=night-5 --new label=night-6 \
		--metric total.ops_per_s --why --nights 'night-*') || rc=$?
	assert_eq "-15% with --nights: exit status" 0 "$rc" || { echo "$out"; return 1; }
	[[ $out == *"within 3 night-to-night SDs"* ]] || _fail "no night-to-night reason: $out" || return 1
	rc=0
	out=$("$RESULTS" --db "$d/db" compare --base label=night-5 --new label=night-7 \
		--metric total.ops_per_s --why --nights 'night-*') || rc=$?
	assert_eq "-70% with --nights: exit status" 1 "$rc" || { echo "$out"; return 1; }
	[[ $out == *REGRESSION*"night-to-night"* ]] || _fail "no REGRESSION with its bar: $out"
}

test_compare_usage_errors() {
	local rc
	rc=0; "$RESULTS" --db "$WORK/imp.db" compare --base label=x 2>"$WORK/usage.err" || rc=$?
	assert_eq "missing --new" 2 "$rc" || return 1
	# bad usage is one line, argparse's usage block is not printed
	assert_eq "lines on stderr" 1 "$(wc -l <"$WORK/usage.err")" || return 1
	grep -q -- '--new' "$WORK/usage.err" || _fail "the message does not name --new" || return 1
	rc=0; "$RESULTS" --db "$WORK/imp.db" compare --base nokey --new label=y 2>/dev/null || rc=$?
	assert_eq "malformed selector" 2 "$rc" || return 1
	rc=0; "$RESULTS" --db "$WORK/imp.db" compare --base colour=red --new label=y 2>/dev/null || rc=$?
	assert_eq "unknown selector key" 2 "$rc" || return 1
	rc=0; "$RESULTS" --db "$WORK/nonexistent.db" compare --base label=x --new label=y 2>/dev/null || rc=$?
	assert_eq "no database" 2 "$rc" || return 1
	rc=0; "$RESULTS" 2>/dev/null || rc=$?
	assert_eq "no subcommand" 2 "$rc" || return 1
	compare_empty_side_refused
}

# A mistyped selector must not be a gate that always passes: a side that
# matches nothing, or sides that never pair, exit 2 and say why.
compare_empty_side_refused() {
	local d=$WORK/empty rc err i
	mkdir -p "$d"
	for i in 1 2 3; do
		"$MKFIX" "$d/a$i.json" run_id=ea$i profile=A
		"$MKFIX" "$d/c$i.json" run_id=ec$i profile=C
	done
	"$RESULTS" --db "$d/db" import -q --label left "$d"/a*.json
	"$RESULTS" --db "$d/db" import -q --label right "$d"/c*.json
	rc=0
	err=$("$RESULTS" --db "$d/db" compare --base label=left --new label=rihgt 2>&1 >/dev/null) || rc=$?
	assert_eq "empty --new: exit" 2 "$rc" || return 1
	[[ $err == *"--new label=rihgt matches no run"* ]] || _fail "message: $err" || return 1
	rc=0
	err=$("$RESULTS" --db "$d/db" compare --base label=left --new label=right 2>&1 >/dev/null) || rc=$?
	assert_eq "nothing pairs: exit" 2 "$rc" || return 1
	[[ $err == *"differ in profile"*"--ignore KEY"* ]] || _fail "message: $err" || return 1
	# unlabel counts the runs that had the label only
	err=$("$RESULTS" --db "$d/db" unlabel left "profile=*")
	assert_eq "unlabel" "removed label left from 3 run(s)" "$err" || return 1
	devices_never_pool
}

# The same runs on a loop device and on tmpfs (as a real wac names them in
# target.device_kind) never pool: compare says the device kind differs.
devices_never_pool() {
	local d=$WORK/devpool wac rc=0 err i kind
	wac=$(wac_binary)
	mkdir -p "$d"
	"$wac" -q -p A -t 2 -s 64k -T 1 --json "$d/real.json" "$d/real.dat" || return 1
	[ -n "$(jq -r '.target.device_kind // empty' "$d/real.json")" ] ||
		_fail "wac did not record target.device_kind" || return 1
	for i in 1 2 3; do
		for kind in loop tmpfs; do
			jq --arg k "$kind" --arg id "dp$kind$i" '.target.device_kind = $k | .run_id = $id' \
				"$d/real.json" >"$d/$kind$i.json"
		done
	done
	"$RESULTS" --db "$d/db" import -q --label onloop "$d"/loop*.json
	"$RESULTS" --db "$d/db" import -q --label ontmpfs "$d"/tmpfs*.json
	err=$("$RESULTS" --db "$d/db" compare --base label=onloop --new label=ontmpfs 2>&1 >/dev/null) || rc=$?
	assert_eq "loop vs tmpfs: exit" 2 "$rc" || return 1
	[[ $err == *"differ in device_kind"* ]] || _fail "message: $err"
}
