#!/bin/bash
# Scenario files (sourced, not run).  The format is documented in
# scenarios/README.md: `key = value` lines, `#` comments, and
# `expect[RANGE] = ...` for per-kernel expectations.

SCENARIO_KEYS="description device dif dix guard sector_size dev_size_mb
	scsi_debug_args flakey fs mkfs_options mount_options stable_writes wac
	steps file timeout expect"

SCENARIO_CHANNELS="syscall kmsg contract hang verify verify:torn verify:lost
	verify:misdirected verify:foreign verify:future verify:unreadable"

# parse_scenario FILE: print the SCN_* shell assignments for FILE, or print
# "FILE:LINE: message" on stderr and fail.
parse_scenario() {
	local file=$1 name
	[ -r "$file" ] || {
		echo "$file: cannot read the scenario file" >&2
		return 1
	}
	name=$(basename "$file" .scn)
	awk -v file="$file" -v name="$name" -v keys="$(echo $SCENARIO_KEYS)" \
		-v channels="$(echo $SCENARIO_CHANNELS)" '
	function fail(msg) { printf "%s:%d: %s\n", file, NR, msg > "/dev/stderr"; bad = 1; exit 1 }
	function failat(line, msg) { printf "%s:%d: %s\n", file, line, msg > "/dev/stderr"; bad = 1; exit 1 }
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	function q(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
	function isint(s) { return s ~ /^[0-9]+$/ }
	function check_expect(v,    parts, n, i, c, k) {
		if (v == "pass" || v == "detect") return ""
		if (v !~ /^detect:/) return "expected outcome must be pass, detect or detect:CHANNEL[,CHANNEL...], not \"" v "\""
		n = split(substr(v, 8), parts, ",")
		if (n == 0) return "detect: needs at least one channel"
		for (i = 1; i <= n; i++) {
			c = trim(parts[i]); sub(/^!/, "", c)
			if (!(c in chan)) return "unknown channel \"" c "\" (known: " channels ")"
		}
		return ""
	}
	function check_range(r,    parts, n, i, c) {
		n = split(r, parts, ",")
		for (i = 1; i <= n; i++) {
			c = trim(parts[i])
			if (c !~ /^(<|<=|>|>=|=)?[0-9]+(\.[0-9]+)?(\.[0-9]+)?$/)
				return "bad kernel range \"" c "\" (like <6.11, >=6.1, =6.12, or >=5.10,<6.11)"
		}
		return ""
	}
	BEGIN {
		n = split(keys, k, /[ \t\n]+/); for (i = 1; i <= n; i++) known[k[i]] = 1
		n = split(channels, k, /[ \t\n]+/); for (i = 1; i <= n; i++) chan[k[i]] = 1
		v["device"] = "scsi_debug"; v["dif"] = 1; v["dix"] = 1; v["guard"] = 0
		v["sector_size"] = 512; v["dev_size_mb"] = 256; v["scsi_debug_args"] = ""
		v["flakey"] = ""; v["fs"] = "ext4"; v["mkfs_options"] = ""; v["mount_options"] = ""
		v["stable_writes"] = ""; v["wac"] = "-p A -T 10s -s 64k"; v["steps"] = "run"
		v["file"] = "wac.dat"; v["timeout"] = 300
		nrules = 0
	}
	/^[ \t]*(#|$)/ { next }
	{
		line = $0
		# expect[=6.1] = ...: the "=" that separates comes after the "]".
		skip = 0
		if (match(line, /^[ \t]*expect\[[^]]*\]/)) skip = RLENGTH
		eq = index(substr(line, skip + 1), "=")
		if (eq > 0) eq += skip
		if (eq == 0) fail("expected key = value, got \"" trim(line) "\"")
		key = trim(substr(line, 1, eq - 1)); val = trim(substr(line, eq + 1))
		range = ""
		if (key ~ /^expect\[.*\]$/) {
			range = substr(key, 8, length(key) - 8)
			key = "expect"
			if ((m = check_range(range)) != "") fail(m)
		}
		if (key !~ /^[a-z_]+$/ || !(key in known)) fail("unknown key \"" key "\"")
		if (key == "expect") {
			if ((m = check_expect(val)) != "") fail(m)
			if (range == "") { if (have_default) fail("expect given twice (first on line " have_default ")"); have_default = NR; v["expect"] = val }
			else { rules[++nrules] = range "|" val }
			next
		}
		if (key in seen) fail("key \"" key "\" given twice (first on line " seen[key] ")")
		seen[key] = NR
		if (key ~ /^(dif|dix|guard|sector_size|dev_size_mb|timeout)$/ && !isint(val))
			fail(key " must be a number, not \"" val "\"")
		if (key == "dif" && val > 3) fail("dif must be 0..3")
		if ((key == "dix" || key == "guard") && val > 1) fail(key " must be 0 or 1")
		if (key == "sector_size" && val != 512 && val != 4096) fail("sector_size must be 512 or 4096")
		if (key == "stable_writes" && val != "0" && val != "1") fail("stable_writes must be 0 or 1")
		if (key == "device" && val != "scsi_debug" && val != "loop") fail("device must be scsi_debug or loop")
		if (key == "fs" && val !~ /^(ext4|xfs|btrfs|raw)$/) fail("fs must be ext4, xfs, btrfs or raw")
		if (key == "steps") {
			ns = split(val, st, ";")
			for (i = 1; i <= ns; i++) {
				w = trim(st[i]); sub(/[ \t].*/, "", w)
				if (w !~ /^(run|verify|flakey|remount|drop_caches|freeze|thaw|sleep|sysrq|scsi_debug|sh)$/)
					fail("unknown step \"" w "\" (run, verify, flakey SPEC, remount, drop_caches, freeze S, thaw, sleep S, sysrq K, scsi_debug P=V, sh CMD)")
			}
		}
		v[key] = val
	}
	END {
		if (bad) exit 1
		if (!("description" in seen)) failat(NR, "missing \"description\"")
		if (!have_default && nrules == 0) failat(NR, "missing \"expect\" (pass, or detect:CHANNEL...)")
		if (v["fs"] == "raw" && v["mkfs_options"] != "") failat(seen["mkfs_options"], "mkfs_options with fs = raw")
		if (v["steps"] ~ /flakey/ && v["flakey"] == "") failat(seen["steps"], "a flakey step needs a \"flakey\" device (flakey = allow)")
		printf "SCN_NAME=%s\n", q(name)
		printf "SCN_SOURCE=%s\n", q(file)
		for (key in v) { u = toupper(key); printf "SCN_%s=%s\n", u, q(v[key]) }
		printf "SCN_EXPECT_RULES=%s\n", q(rules_str())
	}
	function rules_str(    s, i) { s = ""; for (i = 1; i <= nrules; i++) s = s (i > 1 ? ";" : "") rules[i]; return s }
	' "$file"
}

# version_cmp A B: print -1, 0 or 1 comparing dotted versions (missing
# parts count as 0).
version_cmp() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		na = split(a, x, "."); nb = split(b, y, ".")
		for (i = 1; i <= 3; i++) { p = (i <= na) ? x[i] + 0 : 0; r = (i <= nb) ? y[i] + 0 : 0
			if (p < r) { print -1; exit } if (p > r) { print 1; exit } }
		print 0 }'
}

# kernel_version RELEASE: 6.1.0-27-amd64 -> 6.1.0, 7.2.13+deb14-amd64 -> 7.2.13.
kernel_version() {
	echo "$1" | sed -E 's/^([0-9]+(\.[0-9]+){1,2}).*/\1/'
}

# range_matches RANGE VERSION: does the kernel VERSION fall in RANGE?
range_matches() {
	local range=$1 ver=$2 cond op want c
	IFS=',' read -ra conds <<<"$range"
	for cond in "${conds[@]}"; do
		cond=${cond// /}
		op=${cond%%[0-9]*}
		want=${cond#"$op"}
		case $op in
		"" | "=")
			# =6.1 matches the 6.1 series.
			case $ver. in "$want".*) ;; *) return 1 ;; esac
			continue
			;;
		esac
		c=$(version_cmp "$ver" "$want")
		case $op in
		"<") [ "$c" -lt 0 ] || return 1 ;;
		"<=") [ "$c" -le 0 ] || return 1 ;;
		">") [ "$c" -gt 0 ] || return 1 ;;
		">=") [ "$c" -ge 0 ] || return 1 ;;
		esac
	done
	return 0
}

# expected_for RULES DEFAULT RELEASE: the expectation that applies to a
# kernel: the first matching expect[RANGE], else the plain expect.
expected_for() {
	local rules=$1 default=$2 ver rule
	ver=$(kernel_version "$3")
	IFS=';' read -ra rs <<<"$rules"
	for rule in "${rs[@]}"; do
		[ -n "$rule" ] || continue
		if range_matches "${rule%%|*}" "$ver"; then
			echo "${rule#*|}"
			return 0
		fi
	done
	echo "$default"
}
