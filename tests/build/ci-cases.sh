# tests/build/ci-cases.sh: the cases of tests/build/run for the scheduled
# pipelines in ci/ (GitHub Actions, GitLab CI, a systemd timer): their
# files parse, the units verify, and what they run is what README.md and
# harness/nightly --help document.  Sourced by tests/build/run (uses WORK).
# shellcheck shell=bash

CI_DIR=$TOP_DIR/ci

# ci_yaml_check FILE KIND: python3-yaml parses FILE; KIND github|gitlab
# names the structure it must have (a schedule, the nightly, the store kept,
# the artifacts published).  Prints what is missing.
ci_yaml_check() {
	python3 - "$1" "$2" <<'EOF'
import re, sys
import yaml

path, kind = sys.argv[1:]
with open(path) as fh:
    doc = yaml.safe_load(fh)
bad = []
text = yaml.safe_dump(doc)
if kind == "github":
    on = doc.get("on", doc.get(True)) or {}  # YAML 1.1 reads the key on as true
    crons = [s.get("cron", "") for s in on.get("schedule") or []]
    if not crons or not all(len(c.split()) == 5 for c in crons):
        bad.append("no schedule with a 5-field cron: %r" % crons)
    steps = [s for j in doc["jobs"].values() for s in j.get("steps") or []]
    uses = [s.get("uses", "") for s in steps]
    runs = "\n".join(s.get("run", "") for s in steps)
    for want in ("actions/cache/restore@", "actions/cache/save@", "actions/upload-artifact@"):
        if not any(u.startswith(want) for u in uses):
            bad.append("no %s step" % want)
    arts = "\n".join((s.get("with") or {}).get("path", "") for s in steps
                     if s.get("uses", "").startswith("actions/upload-artifact@"))
    cache = [(s.get("with") or {}).get("path") for s in steps
             if s.get("uses", "").startswith("actions/cache/")]
    if any(c != "results/db" for c in cache):
        bad.append("the cache does not keep results/db: %r" % cache)
else:
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
    if not jobs:
        bad.append("no job")
    runs = "\n".join("\n".join(j["script"]) for j in jobs.values())
    for name, j in jobs.items():
        if not any("schedule" in r.get("if", "") for r in j.get("rules") or []):
            bad.append("%s: no rule for a pipeline schedule" % name)
        if "results/db/" not in ((j.get("cache") or {}).get("paths") or []):
            bad.append("%s: the cache does not keep results/db/" % name)
        a = j.get("artifacts") or {}
        if not ((a.get("reports") or {}).get("junit") or "").endswith("junit.xml"):
            bad.append("%s: no artifacts:reports:junit" % name)
    arts = "\n".join(p for j in jobs.values() for p in (j.get("artifacts") or {}).get("paths") or [])
if not re.search(r"(^|\s)harness/nightly\s", runs):
    bad.append("does not run harness/nightly")
for want in ("report.md", "junit.xml", "plots/"):
    if want not in arts:
        bad.append("%s not published as an artifact" % want)
print("\n".join(bad))
EOF
}

test_ci_yaml() {
	python3 -c 'import yaml' 2>/dev/null || _skip "python3-yaml not installed"
	local f kind out
	for kind in github gitlab; do
		f=$CI_DIR/$kind-nightly.yml
		[ -f "$f" ] || _fail "$f missing" || return 1
		out=$(ci_yaml_check "$f" "$kind" 2>&1) || _fail "$f: python3-yaml: $out" || return 1
		[ -z "$out" ] || _fail "$f: $out" || return 1
	done
	# the check itself fails on a pipeline that lost its schedule and store
	sed '/schedule:/,/cron:/d; s#results/db#results/elsewhere#' "$CI_DIR/github-nightly.yml" >"$WORK/bad.yml"
	out=$(ci_yaml_check "$WORK/bad.yml" github)
	[[ $out == *"no schedule"*"does not keep results/db"* ]] || _fail "a broken workflow passed: $out"
}

# ci_units DIR: the units, their /opt/wac-suite paths pointed at this tree
# (verify checks that ExecStart exists), copied into DIR
ci_units() {
	mkdir -p "$1"
	sed "s#/opt/wac-suite#$TOP_DIR#g" "$CI_DIR/systemd/wac-nightly.service" >"$1/wac-nightly.service"
	cp "$CI_DIR/systemd/wac-nightly.timer" "$1/wac-nightly.timer"
}

test_ci_systemd_verify() {
	_require_cmd systemd-analyze
	local d=$WORK/units out
	# can systemd-analyze verify run here at all (containers)?
	mkdir -p "$WORK/probe"
	printf '[Unit]\nDescription=probe\n[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$WORK/probe/probe.service"
	systemd-analyze verify "$WORK/probe/probe.service" >"$WORK/probe.out" 2>&1 ||
		_skip "systemd-analyze verify cannot run here: $(head -n 1 "$WORK/probe.out")"
	ci_units "$d"
	out=$(systemd-analyze verify "$d/wac-nightly.service" "$d/wac-nightly.timer" 2>&1) ||
		_fail "systemd-analyze verify: $out" || return 1
	assert_eq "systemd-analyze verify output" "" "$out" || return 1
	# and it does reject a unit with a misspelt key
	sed -i 's/^TimeoutStartSec=/TimeoutStartSecs=/' "$d/wac-nightly.service"
	out=$(systemd-analyze verify "$d/wac-nightly.service" 2>&1) || true
	[[ $out == *TimeoutStartSecs* ]] || _fail "a misspelt key was not reported: $out"
}

# ci_nightly_options FILE: the options on the lines that run harness/nightly
# or set its arguments (not comments)
ci_nightly_options() {
	grep -v '^\s*#' "$1" | grep -E 'harness/nightly|NIGHTLY_ARGS' |
		grep -oE '(^|[^a-zA-Z0-9_-])--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+' | sort -u
}

# ci_commands_check FILE HELP: what FILE runs that is not documented: a
# harness/nightly option missing from HELP (its --help) or from README.md's
# list of its options, export --kcidb missing from results/README.md
ci_commands_check() {
	local f=$1 help=$2 opt
	grep -v '^\s*#' "$f" | grep -q 'harness/nightly' || echo "$f does not run harness/nightly"
	for opt in $(ci_nightly_options "$f"); do
		grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" <<<"$help" ||
			echo "$f: harness/nightly $opt is not in harness/nightly --help"
		grep -qF -- "\`$opt" "$TOP_DIR/README.md" ||
			echo "$f: harness/nightly $opt is not in README.md's list of its options"
	done
	if grep -v '^\s*#' "$f" | grep -q 'export --kcidb' &&
		! grep -qF 'export --kcidb' "$TOP_DIR/results/README.md"; then
		echo "$f: export --kcidb is not in results/README.md"
	fi
}

test_ci_commands_documented() {
	local f help out n=0
	help=$("$TOP_DIR/harness/nightly" --help) || _fail "harness/nightly --help failed" || return 1
	for f in "$CI_DIR/github-nightly.yml" "$CI_DIR/gitlab-nightly.yml" "$CI_DIR/systemd/wac-nightly.service"; do
		out=$(ci_commands_check "$f" "$help")
		[ -z "$out" ] || _fail "$out" || return 1
		n=$((n + $(ci_nightly_options "$f" | wc -l)))
	done
	assert_ge "harness/nightly options checked" 3 "$n" || return 1
	# an option harness/nightly does not have is caught
	sed 's#harness/nightly --db#harness/nightly --nightly-bogus --db#' "$CI_DIR/gitlab-nightly.yml" >"$WORK/bogus.yml"
	out=$(ci_commands_check "$WORK/bogus.yml" "$help")
	[[ $out == *"--nightly-bogus is not in harness/nightly --help"* ]] || _fail "a bogus option passed: $out"
}
