# tests/results/harness-cases.sh: the cases of tests/results/run for the
# harness.json writer and judge (results/wac-results harness-json),
# harness/rejudge, the import of wac-harness/2 and /1, harness/main-job and
# --help (sourced by tests/results/run; uses its RESULTS, MKFIX, WORK,
# fixture, count_runs, wac_binary and valid_image).
# shellcheck shell=bash

# ------------------------------------------------------- harness-json --

# as_nobody CMD...: CMD without root, so that a wac run cannot read the
# host's /dev/kmsg (another suite's GUARD lines would land in its counts)
as_nobody() {
	if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

# classifier: a wac that has kmsg-classify (WAC_RESULTS_TEST_KC, default
# wac/wac), or fails (call as kc=$(classifier) || _skip ...)
classifier() {
	local kc=${WAC_RESULTS_TEST_KC:-}
	[ -n "$kc" ] || kc=$(wac_binary) || return 1
	"$kc" kmsg-classify --json </dev/null >/dev/null 2>&1 || return 1
	echo "$kc"
}

# make_wac_docs: real wac/1 documents, once: $DOCS/pass.json (a clean
# 1-second run on a /tmp file) and $DOCS/torn.json (wac verify after one
# byte of that file was flipped)
make_wac_docs() {
	local wac rc=0
	DOCS=$WORK/wacdocs
	[ -s "$DOCS/torn.json" ] && return 0
	wac=$(wac_binary) || _skip "wac/wac not built"
	mkdir -p "$DOCS"
	chmod 711 "$WORK"
	chmod 777 "$DOCS"
	as_nobody "$wac" -p A -t 2 -s 64k -T 1 --quiet --state "$DOCS/run.state" \
		--json "$DOCS/pass.json" "$DOCS/wac.dat" || return 1
	printf '\377' | dd of="$DOCS/wac.dat" bs=1 seek=1000 conv=notrunc 2>/dev/null
	as_nobody "$wac" verify --quiet --state "$DOCS/run.state" --json "$DOCS/torn.json" \
		"$DOCS/wac.dat" >/dev/null 2>&1 || rc=$?
	assert_eq "wac verify after a flipped byte" 1 "$rc"
}

# rundir NAME EXPECT VM_STATUS STEPS: a scenario run directory as
# harness/run leaves it, with context.json; sets RD.  The scenario file
# context.json names says "expect = EXPECT".
rundir() {
	local name=$1 expect=$2 status=$3 steps=$4
	RD=$WORK/rd/$name
	mkdir -p "$RD" "$WORK/scn"
	printf 'description = %s\nwac = -p A -T 1s -s 64k\nsteps = %s\nexpect = %s\n' \
		"$name" "$steps" "$expect" >"$WORK/scn/$name.scn"
	jq -n --arg name "$name" --arg expect "$expect" --arg status "$status" \
		--arg steps "$steps" --arg scn "$WORK/scn/$name.scn" '{
		run_id: "20261128T120000Z-test", scenario: $name, scenario_file: $scn,
		description: $name,
		kernel: {alias: "6.1", package: "linux-image-6.1.0-56-amd64", release: "6.1.0-56-amd64"},
		backend: "vm", accel: "tcg",
		device: {kind: "scsi_debug", dif: 1, dix: 1, guard: 0, sector_size: 512,
		         dev_size_mb: 256, flakey: null},
		fs: "ext4", stable_writes: null, steps: $steps, wac_args: "-p A -T 1s -s 64k",
		expect: $expect, vm_status: $status, boot_retries: 0,
		started: "2026-11-28T12:00:00Z", wall_s: 20.5, boot_s: 5.1, host: "vm",
		suite_commit: "abc1234"}' >"$RD/context.json"
	{
		echo "[    0.000000] Linux version 6.1.0-56-amd64"
		echo "[    1.000000] scsi_debug:dif_verify: GUARD check failed on sector 1 (before the scenario: not counted)"
		echo "[    2.000000] wac-guest: scenario $name start"
		echo "[    2.500000] EXT4-fs (sda): mounted filesystem"
	} >"$RD/serial.log"
}

# result_json SETUP FAILED_STEP SKIP WAC_EXITS...: the guest's result.json
result_json() {
	local setup=$1 failed=$2 skip=$3 n=0 e wac='[]'
	shift 3
	for e in "$@"; do
		n=$((n + 1))
		wac=$(jq -c --argjson n "$n" --argjson e "$e" \
			'. + [{n: $n, mode: "run", exit: $e, json: "wac-\($n).json"}]' <<<"$wac")
	done
	jq -n --arg setup "$setup" --arg failed "$failed" --arg skip "$skip" --argjson wac "$wac" '{
		setup: $setup, failed_step: (if $failed == "" then null else $failed end),
		skip: (if $skip == "" then null else $skip end), base_dev: "sda",
		integrity_format: "T10-DIF-TYPE1-CRC", integrity_format_top: null, flakey_dev: null,
		stable_writes_initial: 1, stable_writes_set: null, stable_writes_top_initial: null,
		stable_writes_top: null, wac: $wac, sh: []}' >"$RD/result.json"
}

# judged WAC DIR: harness-json's line, with the exit status checked
judged() {
	"$RESULTS" harness-json --wac "$1" "$2" || _fail "harness-json $2 exited $?"
}

test_harness_json_outcomes() {
	_require_cmd jq
	local kc line
	kc=$(classifier) || _skip "wac/wac has no kmsg-classify"
	make_wac_docs || return 1

	rundir pass pass poweroff run
	result_json ok "" "" 0
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	line=$(judged "$kc" "$RD")
	assert_eq "pass" $'ok\tpass\t' "$line" || return 1
	assert_eq "schema" wac-harness/2 "$(jq -r .schema "$RD/harness.json")" || return 1
	assert_eq "wac referenced by hash" "$(sha256sum <"$RD/wac-1.json" | cut -d' ' -f1)" \
		"$(jq -r '.wac[0].sha256' "$RD/harness.json")" || return 1
	assert_eq "no embedded document" null "$(jq -r '.wac[0].config' "$RD/harness.json")" || return 1
	assert_eq "ops/s from wac" "$(jq .metrics.total.ops_per_s "$DOCS/pass.json")" \
		"$(jq .observed.ops_per_s "$RD/harness.json")" || return 1
	[ -z "$(find "$RD" -name '*.tmp')" ] || _fail "temporary file left" || return 1

	# a guard line in the guest log after the start marker: the kmsg channel
	rundir kmsg detect:kmsg poweroff run
	result_json ok "" "" 0
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	echo "[    3.000000] scsi_debug:dif_verify: GUARD check failed on sector 18097 rcvd 0x0000, data 0x1986" >>"$RD/serial.log"
	line=$(judged "$kc" "$RD")
	assert_eq "detect:kmsg" $'ok\tpass:kmsg\t' "$line" || return 1
	assert_eq "kmsg count (the line before the marker not counted)" 1 \
		"$(jq .observed.counts.kmsg "$RD/harness.json")" || return 1
	assert_eq "kmsg channel from the log" kmsg "$(jq -r '.observed.kmsg_channels | join(",")' "$RD/harness.json")" || return 1

	# !channel: verify:torn must stay quiet, and wac found a torn sector
	rundir notorn 'detect:kmsg,!verify:torn' poweroff 'run; verify'
	result_json ok "" "" 0 1
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	cp "$DOCS/torn.json" "$RD/wac-2.json"
	echo "[    3.000000] scsi_debug:dif_verify: GUARD check failed on sector 18097 rcvd 0x0000, data 0x1986" >>"$RD/serial.log"
	line=$(judged "$kc" "$RD")
	[[ $line == $'unexpected\tfail:kmsg,verify:torn\tchannel !verify:torn disagreed'* ]] ||
		_fail "!verify:torn: $line" || return 1
	assert_eq "verify count" 1 "$(jq .observed.counts.verify "$RD/harness.json")" || return 1

	# the VM timed out: hang, whatever the guest left
	rundir timeout detect:hang timeout run
	line=$(judged "$kc" "$RD")
	assert_eq "vm timeout" $'ok\thang:hang\t' "$line" || return 1
	rundir timeout-pass pass timeout run
	line=$(judged "$kc" "$RD")
	[[ $line == $'unexpected\thang:hang\t'* ]] || _fail "timeout vs pass: $line" || return 1

	rundir setup pass poweroff run
	result_json failed "" ""
	line=$(judged "$kc" "$RD")
	assert_eq "setup failure" $'error\terror\tdevice or filesystem setup failed (see steps.log)' "$line" || return 1

	rundir nowac pass poweroff run
	result_json ok "" "" 2
	line=$(judged "$kc" "$RD")
	[[ $line == $'error\terror\tno wac result'* ]] || _fail "no wac result: $line" || return 1

	rundir skip pass poweroff run
	result_json "" "" "module scsi_debug not available"
	line=$(judged "$kc" "$RD")
	assert_eq "skip" $'skip\tskip\tmodule scsi_debug not available' "$line" || return 1

	rundir crash pass crash run
	line=$(judged "$kc" "$RD")
	[[ $line == $'error\terror\tthe guest kernel died'* ]] || _fail "crash: $line" || return 1

	# harness/run got a signal mid-scenario: interrupted, not judged
	# against the expectation, whatever wac had found
	rundir intr pass interrupted run
	result_json ok "" "" 1
	cp "$DOCS/torn.json" "$RD/wac-1.json"
	line=$(judged "$kc" "$RD")
	[[ $line == $'interrupted\t'*$'\tharness/run was interrupted'* ]] || _fail "interrupted: $line"
}

test_harness_json_unusable() {
	local kc rc=0
	kc=$(classifier) || _skip "wac/wac has no kmsg-classify"
	mkdir -p "$WORK/rd/empty"
	"$RESULTS" harness-json --wac "$kc" "$WORK/rd/empty" >"$WORK/u.out" 2>"$WORK/u.err" || rc=$?
	assert_eq "no context.json: exit" 2 "$rc" || return 1
	assert_eq "one line on stderr" 1 "$(wc -l <"$WORK/u.err")" || return 1
	[ ! -e "$WORK/rd/empty/harness.json" ] || _fail "harness.json created" || return 1
	rundir badwac pass poweroff run
	rc=0
	"$RESULTS" harness-json --wac /nonexistent/wac "$RD" >/dev/null 2>&1 || rc=$?
	assert_eq "no classifier: exit" 2 "$rc" || return 1
	[ ! -e "$RD/harness.json" ] || _fail "harness.json written without a classification"
}

# fresh writer and harness/rejudge give the same outcome, on a new run
# directory and on a stored one from before context.json (wac-harness/1,
# result.env)
test_rejudge_both_ways() {
	_require_cmd jq
	local kc line out fresh rc
	kc=$(classifier) || _skip "wac/wac has no kmsg-classify"
	make_wac_docs || return 1
	rundir rj detect:kmsg poweroff run
	result_json ok "" "" 0
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	echo "[    3.000000] scsi_debug:dif_verify: GUARD check failed on sector 7" >>"$RD/serial.log"
	line=$(judged "$kc" "$RD")
	fresh=$(jq -c '{outcome, observed: .observed.channels}' "$RD/harness.json")
	out=$(WAC_RESULTS_WAC=$kc "$TOP_DIR/harness/rejudge" "$RD") || _fail "rejudge exited $?: $out" || return 1
	assert_eq "rejudged = fresh" "$fresh" "$(jq -c '{outcome, observed: .observed.channels}' "$RD/harness.json")" || return 1
	assert_eq "marked" true "$(jq .rejudged "$RD/harness.json")" || return 1
	[[ $out == *"| rj |"*"pass:kmsg ok"* ]] || _fail "rejudge table: $out" || return 1
	# today's scenario file says pass: the same run is now unexpected
	sed -i 's/^expect = .*/expect = pass/' "$WORK/scn/rj.scn"
	rc=0
	WAC_RESULTS_WAC=$kc "$TOP_DIR/harness/rejudge" "$RD" >/dev/null || rc=$?
	assert_eq "rejudge exit on an unexpected outcome" 1 "$rc" || return 1
	assert_eq "rejudged against today's expectation" unexpected "$(jq -r .outcome "$RD/harness.json")" || return 1

	# a stored wac-harness/1 run (embedded wac copy, result.env)
	RD=$WORK/rd/stored
	mkdir -p "$RD"
	"$MKFIX" "$WORK/h.json" harness=stored run_id=stw hrun=H9 expected=pass
	jq --arg scn "$WORK/scn/rj.scn" '.scenario_file = $scn | .steps = "run"
		| .observed.vm_status = "poweroff"' \
		"$WORK/h.json" >"$RD/harness.json"
	jq '.wac[0]' "$RD/harness.json" >"$RD/wac-1.json"
	printf 'setup=ok\nwac_1_exit=0\nsteps=finished\n' >"$RD/result.env"
	cp "$WORK/rd/rj/serial.log" "$RD/serial.log"
	line=$("$RESULTS" harness-json --wac "$kc" --expect pass "$RD") || return 1
	[[ $line == $'unexpected\tpass:kmsg\t'* ]] || _fail "stored run: $line" || return 1
	assert_eq "stored run rewritten as v2" wac-harness/2 "$(jq -r .schema "$RD/harness.json")" || return 1
	assert_eq "context kept" 6.18.0-test "$(jq -r .kernel.release "$RD/harness.json")" || return 1
	WAC_RESULTS_WAC=$kc "$TOP_DIR/harness/rejudge" "$RD" >/dev/null || true
	assert_eq "rejudge agrees" unexpected "$(jq -r .outcome "$RD/harness.json")"
}

test_import_harness_v2() {
	_require_cmd jq sqlite3
	local kc db=$WORK/v2.db out rc=0 run
	kc=$(classifier) || _skip "wac/wac has no kmsg-classify"
	make_wac_docs || return 1
	run=$WORK/v2run
	mkdir -p "$run"
	rundir v2a pass poweroff 'run; verify'
	result_json ok "" "" 0 1
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	cp "$DOCS/torn.json" "$RD/wac-2.json"
	judged "$kc" "$RD" >/dev/null
	mv "$RD" "$run/"
	# wac-1.json alone first, then the run directory: each run once
	"$RESULTS" --db "$db" import -q "$run/v2a/wac-1.json"
	out=$("$RESULTS" --db "$db" import "$run")
	assert_eq "directory import" "imported 1, already present 0, skipped 0" "$out" || return 1
	assert_eq "runs: harness + run" 2 "$(count_runs "$db")" || return 1
	assert_eq "the verify attached to its run" 1 \
		"$(sqlite3 "$db" "select count(*) from verifies v join runs r on r.id = v.run where r.verdict = 'pass'")" || return 1
	assert_eq "the wac run adopted by its harness run" v2a \
		"$(sqlite3 "$db" "select scenario from runs where schema='wac/1' and verdict='pass'")" || return 1
	out=$("$RESULTS" --db "$db" import "$run")
	assert_eq "re-import" "imported 0, already present 1, skipped 0" "$out" || return 1
	# a wac document that is not the one harness.json hashed: left out,
	# one line on stderr, the rest imported
	printf ' ' >>"$run/v2a/wac-2.json"
	"$RESULTS" --db "$WORK/v2b.db" import "$run" >"$WORK/v2b.out" 2>"$WORK/v2b.err" || rc=$?
	assert_eq "exit with a skipped document" 1 "$rc" || return 1
	assert_eq "one line on stderr" 1 "$(wc -l <"$WORK/v2b.err")" || return 1
	grep -q 'wac-2.json: skipped: sha256' "$WORK/v2b.err" || _fail "stderr: $(cat "$WORK/v2b.err")" || return 1
	assert_eq "harness + the intact wac run" 2 "$(count_runs "$WORK/v2b.db")"
}

test_import_harness_v1() {
	_require_cmd sqlite3
	local db=$WORK/v1.db out
	# a stored wac-harness/1 document: wac documents embedded, an integer seed
	"$MKFIX" "$WORK/hv1-fx.json" harness=old-A run_id=ow1 hrun=O1
	jq '.wac[0].config.seed = 10508117075192054000' "$WORK/hv1-fx.json" >"$WORK/hv1.json"
	out=$("$RESULTS" --db "$db" import "$WORK/hv1.json")
	assert_eq "v1 import" "imported 1, already present 0, skipped 0" "$out" || return 1
	assert_eq "harness + embedded wac run" 2 "$(count_runs "$db")" || return 1
	assert_eq "embedded run has the scenario" old-A \
		"$(sqlite3 "$db" "select scenario from runs where run_id='ow1'")" || return 1
	# a stored run directory: its wac-1.json is the harness document's, not a second run
	mkdir -p "$WORK/v1dir/old-A@6.1"
	cp "$WORK/hv1.json" "$WORK/v1dir/old-A@6.1/harness.json"
	jq '.wac[0]' "$WORK/hv1.json" >"$WORK/v1dir/old-A@6.1/wac-1.json"
	out=$("$RESULTS" --db "$db" import "$WORK/v1dir")
	assert_eq "v1 directory: present" "imported 0, already present 1, skipped 0" "$out" || return 1
	assert_eq "still two runs" 2 "$(count_runs "$db")"
}

# expect_direct: the run's direct.path against the scenario's expectation
# (the documents are a real run's with direct.path set, as D-F runs write it)
test_harness_json_direct_path() {
	_require_cmd jq
	local kc line want path
	kc=$(classifier) || _skip "wac/wac has no kmsg-classify"
	make_wac_docs || return 1
	for want in "direct direct ok" "direct buffered unexpected" "any buffered ok" "buffered none error"; do
		read -r want path line <<<"$want"
		rundir "direct-$want-$path" pass poweroff run
		jq --arg d "$want" '.expect_direct = $d' "$RD/context.json" >"$RD/c" && mv "$RD/c" "$RD/context.json"
		result_json ok "" "" 0
		if [ "$path" = none ]; then
			cp "$DOCS/pass.json" "$RD/wac-1.json"
		else
			jq --arg p "$path" '.direct = {path: $p, evidence: {}}' "$DOCS/pass.json" >"$RD/wac-1.json"
		fi
		assert_eq "expect_direct $want, path $path" "$line" "$(judged "$kc" "$RD" | cut -f1)" || return 1
		assert_eq "expected.direct_path" "$want" "$(jq -r .expected.direct_path "$RD/harness.json")" || return 1
	done
	assert_eq "reason" "O_DIRECT writes took the buffered path (expected direct)" \
		"$(jq -r .reason "$WORK/rd/direct-direct-buffered/harness.json")" || return 1
	assert_eq "observed.direct_path" buffered \
		"$(jq -r .observed.direct_path "$WORK/rd/direct-direct-buffered/harness.json")"
}

# A hang's task dump (sysrq t, l) in the guest log: the blocked tasks
# grouped by where they wait, and the task outside D state inside the same
# code named as a suspect (an idle journal thread is not).  The guest's
# dmesg.txt, overrun by the dump and without the start marker, gives way to
# serial.log: lines after the marker are not lost.
test_harness_json_task_dump() {
	_require_cmd jq
	local kc
	kc=$(classifier) || _skip "wac/wac has no kmsg-classify"
	make_wac_docs || return 1
	rundir taskdump detect:hang poweroff run
	result_json ok "" "" 0
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	grep -v '^#' "$HERE/data/taskdump-6.1.log" >>"$RD/serial.log"
	echo "[   24.000000] scsi_debug:dif_verify: GUARD check failed on sector 18097 rcvd 0x0000, data 0x1986" >>"$RD/serial.log"
	sed -n '/Show State/,$p' "$RD/serial.log" >"$RD/dmesg.txt"
	judged "$kc" "$RD" >/dev/null || return 1
	assert_eq "blocked groups (where, how many)" \
		"percpu_rwsem_wait vfs_write 2,percpu_rwsem_wait ext4_page_mkwrite [ext4] 2" \
		"$(jq -r '[.observed.tasks.blocked[] | "\(.waits_in) \(.via) \(.count)"] | join(",")' "$RD/harness.json")" || return 1
	assert_eq "suspects" "kworker/u4:3 R" \
		"$(jq -r '[.observed.tasks.suspects[] | "\(.comm) \(.state)"] | join(",")' "$RD/harness.json")" || return 1
	assert_eq "guard line after the marker, from serial.log" 1 "$(jq .observed.counts.kmsg "$RD/harness.json")" || return 1
	# no dump: no task analysis
	rundir nodump pass poweroff run
	result_json ok "" "" 0
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	judged "$kc" "$RD" >/dev/null || return 1
	assert_eq "tasks without a dump" null "$(jq -c .observed.tasks "$RD/harness.json")"
}

# ------------------------------------------------------------- main-job --

# main-job on runs a stand-in for harness/run makes from a template run
# directory (no VM): the table comes from harness.json, the plots follow
test_main_job_table_and_plots() {
	_require_cmd jq gnuplot
	local kc out line ops kind
	kc=$(classifier) || _skip "wac/wac has no kmsg-classify"
	make_wac_docs || return 1
	rundir template pass poweroff run
	result_json ok "" "" 0
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	echo "[    3.000000] scsi_debug:dif_verify: GUARD check failed on sector 9" >>"$RD/serial.log"
	cat >"$WORK/fake-run" <<-'SH'
		#!/bin/bash
		# stands in for harness/run: every scenario gets a copy of $TEMPLATE
		set -euo pipefail
		while [ $# -gt 0 ]; do
			case $1 in
			--run-id) id=$2; shift 2 ;;
			--results) res=$2; shift 2 ;;
			*.scn)
				name=$(basename "$1" .scn)
				d=$res/$id/$name@6.1
				mkdir -p "$d"
				cp "$TEMPLATE"/{result.json,wac-1.json,serial.log} "$d/"
				jq --arg n "$name" '.scenario = $n' "$TEMPLATE/context.json" >"$d/context.json"
				"$RESULTS" harness-json --wac "$KC" "$d" >/dev/null
				shift ;;
			*) shift ;;
			esac
		done
	SH
	chmod +x "$WORK/fake-run"
	out=$(TEMPLATE=$RD KC=$kc RESULTS=$RESULTS WAC_MAIN_JOB_RUN=$WORK/fake-run \
		"$TOP_DIR/harness/main-job" --results "$WORK/main") || _fail "main-job exited $?: $out" || return 1
	ops=$(jq '.metrics.total.ops_per_s | floor' "$DOCS/pass.json")
	line=$(grep '^B ' <<<"$out")
	# pass with a guard line in the log against "expect = pass": unexpected
	[[ $line =~ ^B\ +clean-B-ext4\ +6\.1\ +$ops\ +0\ +1\ +0\ +0\ +pass\ +unexpected$ ]] ||
		_fail "profile B line (ops $ops, kmsg 1): $line" || return 1
	assert_eq "profile lines" 7 "$(grep -cE '^(A|B|C|D|E|F|F\(legacy\)) ' <<<"$out")" || return 1
	for kind in kernels latency outcomes; do
		grep -q "/plots/$kind.png$" <<<"$out" || _fail "no $kind.png path after the table: $out" || return 1
		valid_image "$(grep "/plots/$kind.png$" <<<"$out")" || return 1
	done
	[ "$(grep -n '^results:' <<<"$out" | cut -d: -f1)" -lt "$(grep -n 'kernels.png' <<<"$out" | cut -d: -f1)" ] ||
		_fail "plot paths before the table: $out"
}

# ----------------------------------------------------------------- help --

# --help: usage on stdout, nothing on stderr, exit 0 (#14)
test_help() {
	local cmd out rc
	for cmd in results/run-fio harness/outcome-table harness/rejudge harness/main-job \
		results/wac-results harness/run harness/kernel harness/cost harness/nightly \
		bench/fio-vs-wac plots/wac-plot wac/wac; do
		rc=0
		out=$("$TOP_DIR/$cmd" --help 2>"$WORK/help.err") || rc=$?
		assert_eq "$cmd --help: exit" 0 "$rc" || return 1
		[[ $out == *Usage:* || $out == *"${cmd##*/}"* ]] || _fail "$cmd --help: no usage: $out" || return 1
		[ ! -s "$WORK/help.err" ] || _fail "$cmd --help wrote to stderr" || return 1
	done
	rc=0
	"$TOP_DIR/harness/outcome-table" >/dev/null 2>&1 || rc=$?
	assert_eq "outcome-table without a directory" 2 "$rc"
}
