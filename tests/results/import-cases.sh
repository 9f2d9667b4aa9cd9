# shellcheck shell=bash
# tests/results/import-cases.sh: sourced by tests/results/run.  What
# `wac-results import` does with a `wac verify` document and with any JSON
# value at all, on documents real wac runs wrote.

# real_run_and_verify DIR: DIR/r.json (a run) and DIR/v.json (its verify)
real_run_and_verify() {
	local dir=$1 wac
	wac=$(wac_binary)
	mkdir -p "$dir"
	(cd "$dir" && "$wac" -q -T 2s -s 256k --state s --json r.json ./x.dat &&
		"$wac" verify -q --state s --json v.json x.dat) || _fail "wac run or verify failed"
}

# hypothesis_python: a python3 that has Hypothesis (python3-hypothesis is
# Debian's, which a pyenv or venv python3 on PATH may not see)
hypothesis_python() {
	local py
	for py in python3 /usr/bin/python3; do
		if command -v "$py" >/dev/null && "$py" -c 'import hypothesis' 2>/dev/null; then
			echo "$py"
			return 0
		fi
	done
	_skip "no python3 with hypothesis (python3-hypothesis)"
}

# A verify document belongs to its run: one run, one verify, and the
# plots' data query sees one run with its real ops/s (no 0 ops/s bar).
test_import_verify() {
	_require_cmd sqlite3
	local d=$WORK/verify db out rc=0 err
	db=$d/db/wac.db
	real_run_and_verify "$d" || return 1
	assert_eq "verify document" verify "$(jq -r .kind "$d/v.json")" || return 1
	# the verify alone: its run is not stored, skipped with one line
	"$RESULTS" --db "$db" import "$d/v.json" >"$d/out" 2>"$d/err" || rc=$?
	assert_eq "verify without its run: exit" 1 "$rc" || return 1
	err=$(cat "$d/err")
	assert_eq "one line on stderr" 1 "$(wc -l <"$d/err")" || return 1
	[[ $err == *v.json*"not in the store"* ]] || _fail "reason: $err" || return 1
	assert_eq "no raw copy of a skipped verify" 0 "$(find "$d/db" -name '*.json' | wc -l)" || return 1
	# verify first on the command line: it waits for its run
	out=$("$RESULTS" --db "$db" import "$d/v.json" "$d/r.json") || return 1
	assert_eq "import" "imported 2, already present 0, skipped 0" "$out" || return 1
	out=$("$RESULTS" --db "$db" import "$d/r.json" "$d/v.json") || return 1
	assert_eq "re-import" "imported 0, already present 2, skipped 0" "$out" || return 1
	assert_eq "runs" 1 "$(sqlite3 "$db" 'select count(*) from runs')" || return 1
	assert_eq "the verify, of the run" "1 $(jq -r .run_id "$d/r.json") pass" \
		"$(sqlite3 -separator ' ' "$db" "select count(*), v.of_run, v.verdict from verifies v join runs r on r.id = v.run")" || return 1
	assert_eq "verify findings stored" "$(jq .integrity.verify.ok "$d/v.json")" \
		"$(sqlite3 "$db" "select cast(value as int) from verify_metrics where name = 'verify.ok'")" || return 1
	# the run's page cache at its end, and 1 MiB prefill writes (the default) as NULL
	assert_eq "page_cache.pages stored" "$(jq .page_cache.pages "$d/r.json")" \
		"$(sqlite3 "$db" "select cast(value as int) from metrics where name = 'page_cache.pages'")" || return 1
	assert_eq "prefill_write of a default run" "1048576 null" \
		"$(jq -r .config.prefill_write "$d/r.json") $(sqlite3 "$db" "select ifnull(prefill_write, 'null') from runs")" || return 1
	out=$(WAC_PLOT=$TOP_DIR/plots/wac-plot python3 - "$db" <<'PY'
import importlib.machinery, importlib.util, os, sys
loader = importlib.machinery.SourceFileLoader("wac_plot", os.environ["WAC_PLOT"])
plot = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
loader.exec_module(plot)
conn = plot.wr.open_db(sys.argv[1], create=False)
print(" ".join("%.0f" % r["value"] for r in plot.runs_with(conn, plot.wr.Selector("all"), "total.ops_per_s")))
PY
) || return 1
	[[ $out =~ ^[1-9][0-9]*$ ]] || _fail "the plots see runs with ops/s '$out', want one non-zero" || return 1
}

# NaN, Infinity, 1e300, 10**400, 100k-deep nesting, a string in an
# integer field: each file skipped with one line naming it, the directory
# import goes on and counts; no traceback, no raw copy, no row.
test_import_nasty_values() {
	local d=$WORK/nasty rc=0 dir
	dir=$d/docs
	real_run_and_verify "$d" || return 1
	mkdir -p "$dir"
	python3 - "$d/r.json" "$dir" <<'PY' || return 1
import json, sys
text = json.dumps(json.load(open(sys.argv[1])))
assert '"size": ' in text
bad = {"1e300": "1e300", "inf": "Infinity", "ninf": "-Infinity", "nan": "NaN",
       "bigint": "1" + "0" * 400, "e400": "1e400", "deep": "[" * 100000 + "]" * 100000,
       "two": '"two"', "half": "0.5", "int65": str(2 ** 64)}
for name, v in bad.items():
    open("%s/%s.json" % (sys.argv[2], name), "w").write(text.replace('"size": ', '"size": %s, "x": ' % v, 1))
open("%s/zz-good.json" % sys.argv[2], "w").write(text)
PY
	"$RESULTS" --db "$d/db/wac.db" import "$dir" >"$d/out" 2>"$d/err" || rc=$?
	assert_eq "exit status" 1 "$rc" || return 1
	assert_eq "summary" "imported 1, already present 0, skipped 10" "$(cat "$d/out")" || return 1
	! grep -q Traceback "$d/err" || _fail "a traceback: $(head -5 "$d/err")" || return 1
	assert_eq "one stderr line per skipped file" 10 "$(grep -c '\.json: skipped: ' "$d/err")" || return 1
	assert_eq "stderr lines" 10 "$(wc -l <"$d/err")" || return 1
	grep -q 'two.json: skipped: size: "two" is not an integer' "$d/err" || _fail "$(cat "$d/err")" || return 1
	assert_eq "raw copies: the good one" 1 "$(find "$d/db/raw" -name '*.json' | wc -l)" || return 1
	assert_eq "runs" 1 "$(count_runs "$d/db/wac.db")"
}

# Hypothesis: a real run and its verify mutated at random keys with random
# JSON values (tests/results/test_import_props.py).
test_import_properties() {
	local d=$WORK/props py
	py=$(hypothesis_python)
	real_run_and_verify "$d" || return 1
	timeout 300 nice -n 10 "$py" "$HERE/test_import_props.py" "$d/r.json" "$d/v.json" 200 >"$d/log" 2>&1 ||
		{ grep -v '^  \|^ [[{]' "$d/log" | tail -15 | cut -c1-600; return 1; }
	sed 's/^/    /' "$d/log"
	grep -q '^200 examples' "$d/log" || _fail "not 200 examples: $(cat "$d/log")"
}
