# tests/results/kcidb-cases.sh: the cases of tests/results/run for the
# KCIDB export (results/wac-results export --kcidb) and its schema check
# (validate --kcidb, results/schema/kcidb-v5.json).  Sourced by
# tests/results/run; uses its RESULTS, MKFIX, WORK and count_runs, and
# harness-cases.sh's make_wac_docs, rundir, result_json, judged and
# classifier for a real scenario run directory.
# shellcheck shell=bash

# kcidb_store: $KS/db holding, on two kernels, scenario runs of every
# outcome (wac-harness/1 fixtures with their wac runs, wac-harness/2
# documents without wac runs: a skip, a setup error, QEMU failing) and two
# standalone wac runs (a pass, a lost sector); the documents stay in
# $KS/docs (RUN_ID/SCENARIO@KERNEL/harness.json as harness/run leaves them)
kcidb_store() {
	KS=$WORK/kcidb
	[ -s "$KS/db" ] && return 0
	local d=$KS/docs/R1 v1=$KS/v1.json
	mkdir -p "$d/clean@6.1" "$d/guard@6.1" "$d/lost@6.12"
	# scenario runs as harness/run leaves them: RUN_ID/SCENARIO@KERNEL/harness.json
	"$MKFIX" "$d/clean@6.1/harness.json" harness=clean-A run_id=kw1 hrun=R1 \
		kernel=6.1.0-56-amd64 ops=830 started=2026-11-28T10:00:00Z || return 1
	"$MKFIX" "$d/guard@6.1/harness.json" harness=guard-A run_id=kw2 hrun=R1 \
		kernel=6.1.0-56-amd64 expected=detect verdict=fail started=2026-11-28T10:01:00Z || return 1
	"$MKFIX" "$d/lost@6.12/harness.json" harness=lost.B run_id=kw3 hrun=R1 \
		kernel=6.12.38+deb13-amd64 alias=6.12 outcome=unexpected verdict=fail lost=3 \
		started=2026-11-28T10:02:00Z || return 1
	"$MKFIX" "$v1" harness=x run_id=kw0 hrun=R1 kernel=6.12.38+deb13-amd64 alias=6.12 || return 1
	# wac-harness/2 documents (what harness-json writes) for the outcomes
	# a fixture has no wac run for
	v2doc() { # DIR SCENARIO OUTCOME VM_STATUS VERDICT REASON STARTED
		mkdir -p "$1"
		jq --arg s "$2" --arg o "$3" --arg vm "$4" --arg v "$5" --arg r "$6" --arg t "$7" '
			.schema = "wac-harness/2" | .scenario = $s | .scenario_file = "scenarios/\($s).scn"
			| .outcome = $o | .reason = $r | .started = $t | .wac = []
			| .observed = {verdict: $v, channels: [], wac_channels: [], kmsg_channels: [],
			               kmsg: {}, vm_status: $vm, boot_retries: 0, ops_per_s: null}
			| .repeat = {index: 1, of: 1}' "$v1" >"$1/harness.json"
	}
	v2doc "$d/skipped@6.12" needs-nvme skip poweroff skip "no nvme in this kernel" 2026-11-28T10:03:00Z
	v2doc "$d/setup@6.12" setup-fails error poweroff error "device or filesystem setup failed (see steps.log)" 2026-11-28T10:04:00Z
	v2doc "$d/noqemu@6.12" qemu-dies error qemu-error error "QEMU failed (see qemu.log)" 2026-11-28T10:05:00Z
	# standalone wac runs (the nightly's loop set): a pass and a lost sector
	mkdir -p "$KS/docs/nightly"
	"$MKFIX" "$KS/docs/nightly/w1.json" run_id=5f3a9c0d2e1b4a77 ops=1215 \
		kernel=6.1.0-56-amd64 started=2026-11-28T11:00:00Z || return 1
	"$MKFIX" "$KS/docs/nightly/w2.json" run_id=6f3a9c0d2e1b4a78 profile=B verdict=fail lost=2 \
		kernel=6.18.0-test started=2026-11-28T11:01:00Z || return 1
	"$RESULTS" --db "$KS/db" import -q --label kx "$KS/docs" || return 1
}

# kjq FILE FILTER: jq -r over an export
kjq() {
	jq -r "$2" "$1"
}

test_kcidb_export_valid() {
	_require_cmd jq
	python3 -c 'import jsonschema' 2>/dev/null || _skip "python3-jsonschema not installed"
	kcidb_store || return 1
	local out=$KS/export.json line
	"$RESULTS" --db "$KS/db" export --kcidb --origin wac_lab -o "$out" label=kx || return 1
	line=$("$RESULTS" validate --kcidb "$out") || _fail "validate: $line" || return 1
	assert_eq "validator" "$out: valid KCIDB v5.3" "$line" || return 1
	assert_eq "version" '5.3' "$(kjq "$out" '"\(.version.major).\(.version.minor)"')" || return 1
	# one checkout and one build per kernel: 6.1, 6.12 and the native 6.18
	assert_eq "checkouts" 3 "$(kjq "$out" '.checkouts | length')" || return 1
	assert_eq "builds" 3 "$(kjq "$out" '[.builds[] | select(.status == "PASS")] | length')" || return 1
	assert_eq "Debian trees" 2 "$(kjq "$out" '[.checkouts[] | select(.tree_name == "debian")] | length')" || return 1
	assert_eq "no git fields (unknown)" 0 "$(kjq "$out" '[.checkouts[] | keys[] | select(startswith("git_"))] | length')" || return 1
	assert_eq "build config of 6.12" amd64 \
		"$(kjq "$out" '.builds[] | select(.misc.kernel_release == "6.12.38+deb13-amd64") | .config_name')" || return 1
	# a test per scenario run (6: the wac runs inside them are not tests)
	# and per standalone wac run (2)
	assert_eq "tests" 8 "$(kjq "$out" '.tests | length')" || return 1
	assert_eq "statuses by path" \
		"stablepages.clean-A=PASS stablepages.guard-A=PASS stablepages.lost_B=FAIL stablepages.needs-nvme=SKIP stablepages.qemu-dies=MISS stablepages.setup-fails=ERROR stablepages.wac.A=PASS stablepages.wac.B=FAIL" \
		"$(kjq "$out" '[.tests[] | "\(.path)=\(.status)"] | sort | join(" ")')" || return 1
	assert_eq "every test's build exists" 0 \
		"$(kjq "$out" '[.builds[].id] as $b | [.tests[] | select(.build_id as $i | $b | index($i) | not)] | length')" || return 1
	assert_eq "ids carry the origin" 0 \
		"$(kjq "$out" '[(.checkouts, .builds, .tests)[] | .id | select(startswith("wac_lab:") | not)] | length')" || return 1
	assert_eq "no null anywhere" 0 "$(kjq "$out" '[.. | select(. == null)] | length')" || return 1
	assert_eq "headline number of the standalone A run" "1215 ops/s" \
		"$(kjq "$out" '.tests[] | select(.path == "stablepages.wac.A") | "\(.number.value) ops/s"')" || return 1
	assert_eq "the SKIP has no number" null \
		"$(kjq "$out" '.tests[] | select(.status == "SKIP") | .number')" || return 1
	assert_eq "environment" "QEMU TCG VM" \
		"$(kjq "$out" '.tests[] | select(.path == "stablepages.clean-A") | .environment.comment')" || return 1
	assert_eq "reason and verdict in misc" "no nvme in this kernel skip" \
		"$(kjq "$out" '.tests[] | select(.status == "SKIP") | "\(.misc.reason) \(.misc.wac_verdict)"')" || return 1
	assert_eq "no log_url without --log-base-url" 0 "$(kjq "$out" '[.tests[] | select(has("log_url"))] | length')" || return 1
	# with a base URL: the serial log of each run directory under --runs-dir
	"$RESULTS" --db "$KS/db" export --kcidb --log-base-url https://lab.example/wac/runs/ \
		--runs-dir "$KS/docs" -o "$KS/logs.json" label=kx || return 1
	assert_eq "log_url of a scenario run" "https://lab.example/wac/runs/R1/clean@6.1/serial.log" \
		"$(kjq "$KS/logs.json" '.tests[] | select(.path == "stablepages.clean-A") | .log_url')" || return 1
	"$RESULTS" validate --kcidb "$KS/logs.json" >/dev/null || _fail "export with log_url not valid"
}

test_kcidb_ids_stable() {
	_require_cmd jq
	kcidb_store || return 1
	local a=$KS/a.json b=$KS/b.json c=$KS/c.json db2=$WORK/kcidb-fresh.db
	"$RESULTS" --db "$KS/db" export --kcidb -o "$a" || return 1
	"$RESULTS" --db "$KS/db" export --kcidb -o "$b" || return 1
	cmp -s "$a" "$b" || _fail "two exports of one store differ: $(diff "$a" "$b" | head -5)" || return 1
	# the same documents imported into another store, in another order and
	# at another time: the same ids
	"$RESULTS" --db "$db2" import -q "$KS/docs/nightly" || return 1
	"$RESULTS" --db "$db2" import -q "$KS/docs/R1" || return 1
	"$RESULTS" --db "$db2" export --kcidb -o "$c" || return 1
	assert_eq "ids from another store" "$(kjq "$a" '[(.checkouts, .builds, .tests)[].id] | sort | join(" ")')" \
		"$(kjq "$c" '[(.checkouts, .builds, .tests)[].id] | sort | join(" ")')" || return 1
	assert_eq "ids unique" "$(kjq "$a" '.tests | length')" "$(kjq "$a" '[.tests[].id] | unique | length')" || return 1
	# a re-judged scenario run (harness/rejudge rewrites harness.json) is
	# the same test: its id stays, its status follows the new judgement
	local id
	id=$(kjq "$c" '.tests[] | select(.path == "stablepages.clean-A") | .id')
	mkdir -p "$KS/rejudged/clean@6.1"
	jq '.outcome = "unexpected" | .reason = "expected detect" | .rejudged = true' \
		"$KS/docs/R1/clean@6.1/harness.json" >"$KS/rejudged/clean@6.1/harness.json"
	"$RESULTS" --db "$db2" import -q "$KS/rejudged" || return 1
	"$RESULTS" --db "$db2" export --kcidb -o "$c" || return 1
	assert_eq "tests after the re-judged import" "$(kjq "$a" '.tests | length')" "$(kjq "$c" '.tests | length')" || return 1
	assert_eq "re-judged: same id, new status" "$id FAIL" \
		"$(kjq "$c" '.tests[] | select(.path == "stablepages.clean-A") | "\(.id) \(.status)"')"
}

# kcidb_broken NAME JQ WANT: the valid export changed by JQ is rejected
# (exit 1) with a stderr line containing WANT
kcidb_broken() {
	local f=$WORK/kcidb-broken-$1.json rc=0
	jq "$2" "$KS/a.json" >"$f"
	"$RESULTS" validate --kcidb "$f" >/dev/null 2>"$f.err" || rc=$?
	assert_eq "$1: exit status" 1 "$rc" || return 1
	grep -qF -- "$3" "$f.err" || _fail "$1: stderr lacks '$3': $(cat "$f.err")"
}

test_kcidb_validator_rejects() {
	_require_cmd jq
	python3 -c 'import jsonschema' 2>/dev/null || _skip "python3-jsonschema not installed"
	kcidb_store || return 1
	"$RESULTS" --db "$KS/db" export --kcidb -o "$KS/a.json" || return 1
	kcidb_broken missing-id 'del(.tests[0].id)' "tests[0]: 'id' is a required property" || return 1
	kcidb_broken bad-status '.tests[1].status = "WEIRD"' "tests[1].status: 'WEIRD' is not one of" || return 1
	kcidb_broken null-value '.builds[0].architecture = null' "builds[0].architecture: None is not of type 'string'" || return 1
	kcidb_broken v4-valid '.builds[0].valid = true' "builds[0]: Additional properties are not allowed ('valid'" || return 1
	kcidb_broken bad-path '.tests[0].path = "stablepages..x"' "tests[0].path: 'stablepages..x' does not match" || return 1
	kcidb_broken bad-origin '.checkouts[0].origin = "Wac-Lab"' "checkouts[0].origin: 'Wac-Lab' does not match" || return 1
	kcidb_broken major-4 '.version.major = 4' "version.major: 5 was expected" || return 1
	# every error is reported, each on its own line
	kcidb_broken two-errors 'del(.tests[0].id) | .tests[1].status = "WEIRD"' "tests[1].status" || return 1
	assert_eq "two lines for two errors" 2 "$(wc -l <"$WORK/kcidb-broken-two-errors.json.err")"
}

# kcidb_refused NAME WANT ARGS...: export ARGS exits 2 with one stderr line
# containing WANT and creates no output file
kcidb_refused() {
	local name=$1 want=$2 rc=0 out=$WORK/kcidb-refused/$1.json
	shift 2
	mkdir -p "$WORK/kcidb-refused"
	"$RESULTS" --db "$KS/db" export "$@" -o "$out" >"$out.stdout" 2>"$out.err" || rc=$?
	assert_eq "$name: exit status" 2 "$rc" || return 1
	assert_eq "$name: stderr lines" 1 "$(wc -l <"$out.err")" || return 1
	grep -qF -- "$want" "$out.err" || _fail "$name: stderr lacks '$want': $(cat "$out.err")" || return 1
	[ ! -e "$out" ] || _fail "$name: $out was created" || return 1
	assert_eq "$name: no temporary file" "" "$(find "$WORK/kcidb-refused" -name '.kcidb.*')"
}

test_kcidb_export_bad_input() {
	kcidb_store || return 1
	kcidb_refused unknown-field "unknown selector key 'colour'" --kcidb colour=red || return 1
	kcidb_refused no-runs "no harness or standalone wac run matches 'profile=Z'" --kcidb profile=Z || return 1
	kcidb_refused bad-origin "KCIDB origins are [a-z0-9_]+" --kcidb --origin Wac-Lab || return 1
	kcidb_refused bad-url "is not an http(s) URL" --kcidb --log-base-url /srv/runs || return 1
	kcidb_refused no-format "name the format (--kcidb)" || return 1
	local rc=0
	"$RESULTS" --db "$WORK/kcidb-none.db" export --kcidb >/dev/null 2>"$WORK/kcidb-nodb.err" || rc=$?
	assert_eq "no database: exit status" 2 "$rc" || return 1
	[ ! -e "$WORK/kcidb-none.db" ] || _fail "export created a database"
}

# a real scenario run directory (harness-json over a real wac document)
# exported: its ops/s is the one harness-json recorded
test_kcidb_export_real_run() {
	_require_cmd jq
	python3 -c 'import jsonschema' 2>/dev/null || _skip "python3-jsonschema not installed"
	local kc db=$WORK/kcidb-real.db out=$WORK/kcidb-real.json
	kc=$(classifier) || _skip "wac/wac has no kmsg-classify"
	make_wac_docs || return 1
	rundir kcidb-real pass poweroff run
	result_json ok "" "" 0
	cp "$DOCS/pass.json" "$RD/wac-1.json"
	judged "$kc" "$RD" >/dev/null || return 1
	"$RESULTS" --db "$db" import -q "$RD" || return 1
	"$RESULTS" --db "$db" export --kcidb -o "$out" || return 1
	"$RESULTS" validate --kcidb "$out" >/dev/null || _fail "real export not valid" || return 1
	assert_eq "one test (the wac run is inside it)" 1 "$(kjq "$out" '.tests | length')" || return 1
	assert_eq "status" PASS "$(kjq "$out" '.tests[0].status')" || return 1
	assert_eq "number = harness.json's ops/s" "$(jq .observed.ops_per_s "$RD/harness.json")" \
		"$(kjq "$out" '.tests[0].number.value')" || return 1
	assert_eq "checkout of the Debian kernel" "debian linux-image-6.1.0-56-amd64" \
		"$(kjq "$out" '.checkouts[0] | "\(.tree_name) \(.misc.kernel_package)"')"
}
