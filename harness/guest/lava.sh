#!/bin/bash
# LAVA mode of the guest (harness/lava): the scenario travelled inside the
# initramfs, /init ran it like the VM backend does (vm-main.sh), and this
# prints what a LAVA `monitors` test action matches on the console:
#
#   wac-lava: start SCENARIO KERNEL_RELEASE expect=EXPECT
#   <LAVA_SIGNAL_TESTCASE TEST_CASE_ID=ID RESULT=pass|fail|skip|unknown [MEASUREMENT=V UNITS=U]>
#   wac-lava: end
#
# One case per channel `wac channels` lists (channel_NAME, verify:lost as
# channel_verify_lost): RESULT pass when it agrees with the expectation
# baked in for this kernel, MEASUREMENT 1 when it fired, 0 when quiet.
# Then `scenario` (the whole expectation; skip when a _require_* skipped
# it), ops_per_s and the p50/p99 latency of every operation of the first
# run.  The host judge (results/wac-results harness-json) stays the one
# verdict: results/wacresults/lava.py rebuilds the observed channels from
# the measurements and judges them again on import.
#
#   lava.sh SHARE        (SHARE/lava.env: WAC_LAVA_EXPECT, WAC_LAVA_KERNEL)
set -euo pipefail

SHARE=${1:-/share}
# harness/lava bakes a batch of one (harness/lib/batch.sh)
OUT=$SHARE/out/0001
WAC=$SHARE/bin/wac

# json_flat FILE: a JSON document as PATH<TAB>VALUE lines (arrays index
# from 0, strings unquoted): the guest has no jq nor Python.
json_flat() {
	awk '
	function emit(v) { print path() "\t" v }
	function path(   i, p) { p = ""; for (i = 1; i <= d; i++) p = p (p == "" ? "" : ".") k[i]; return p }
	function next_val() { if (t[d] == "a") k[d] = n[d]++ }
	{ s = s $0 "\n" }
	END {
		d = 0; i = 1; L = length(s)
		while (i <= L) {
			c = substr(s, i, 1)
			if (c ~ /[ \t\n\r,]/) { i++; continue }
			if (c == "{" || c == "[") { d++; t[d] = (c == "{") ? "o" : "a"; n[d] = 0; if (t[d] == "a") next_val(); else want_key = 1; i++; continue }
			if (c == "}" || c == "]") { d--; i++; if (d > 0 && t[d] == "o") want_key = 1; else if (d > 0) next_val(); continue }
			if (c == ":") { want_key = 0; i++; continue }
			if (c == "\"") {
				j = i + 1; v = ""
				while (j <= L) { ch = substr(s, j, 1); if (ch == "\\") { v = v substr(s, j + 1, 1); j += 2; continue } if (ch == "\"") break; v = v ch; j++ }
				i = j + 1
			} else {
				j = i; while (j <= L && index(",}] \t\n\r", substr(s, j, 1)) == 0) j++
				v = substr(s, i, j - i); i = j
			}
			if (t[d] == "o" && want_key) { k[d] = v; continue }
			emit(v)
			if (t[d] == "o") want_key = 1; else next_val()
		}
	}' "$1"
}

signal() {
	echo "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=$1 RESULT=$2${3:+ MEASUREMENT=$3 UNITS=$4}>"
}

# observed_channels: wac's channels of every document plus the kernel log's
# (wac kmsg-classify over the guest's dmesg), one per line.
observed_channels() {
	local f
	for f in "$OUT"/wac-*.json; do
		[ -f "$f" ] || continue
		json_flat "$f" | awk -F'\t' '$1 ~ /^channels\.[0-9]+$/ { print $2 }'
	done
	[ -s "$OUT/dmesg.txt" ] || return 0
	"$WAC" kmsg-classify --json <"$OUT/dmesg.txt" 2>/dev/null | json_flat /dev/stdin |
		awk -F'\t' '$1 ~ /^channels\.[0-9]+$/ { print $2 }'
}

# wants CHANNEL: 1 (must fire), 0 (must stay quiet) or - (either) under
# WAC_LAVA_EXPECT (pass | detect | detect:A,B,!C, as in scenarios/README.md).
wants() {
	local outcome=${WAC_LAVA_EXPECT%%:*} list="" w
	[[ $WAC_LAVA_EXPECT == *:* ]] && list=${WAC_LAVA_EXPECT#*:}
	if [ "$outcome" = pass ] && [ -z "$list" ]; then
		echo 0
		return
	fi
	IFS=, read -ra ws <<<"$list"
	for w in "${ws[@]}"; do
		[ "$w" = "$1" ] && echo 1 && return
		[ "$w" = "!$1" ] && echo 0 && return
	done
	echo -
}

main() {
	local ch fired want res all=pass seen skip="" f first="" op
	# shellcheck disable=SC1091
	. "$SHARE/scenarios/0001.env"
	# shellcheck disable=SC1091
	. "$SHARE/lava.env"
	echo "wac-lava: start $SCN_NAME $(uname -r) expect=$WAC_LAVA_EXPECT"
	seen=" $(observed_channels | sort -u | tr '\n' ' ')"
	[ -f "$OUT/result.json" ] && skip=$(json_flat "$OUT/result.json" | awk -F'\t' '$1 == "skip" && $2 != "null" { print $2 }')
	for ch in $("$WAC" channels); do
		fired=0
		[[ $seen == *" $ch "* ]] && fired=1
		want=$(wants "$ch")
		res=pass
		[ "$want" = - ] || [ "$want" = "$fired" ] || res=fail
		[ -z "$skip" ] || res=skip
		[ "$res" = fail ] && all=fail
		signal "channel_${ch//:/_}" "$res" "$fired" fired
	done
	# detect with no channel, or the umbrella "verify": something must fire
	case ,${WAC_LAVA_EXPECT#*:}, in
	*,verify,*) [[ $seen == *" verify:"* ]] || all=fail ;;
	esac
	[ "$WAC_LAVA_EXPECT" != detect ] || [ "$seen" != " " ] || all=fail
	[ -f "$OUT/result.json" ] && json_flat "$OUT/result.json" |
		awk -F'\t' '$1 == "setup" && $2 != "ok" { f = 1 } $1 == "failed_step" && $2 != "null" { f = 1 } END { exit !f }' &&
		all=unknown
	[ -f "$OUT/result.json" ] || all=unknown
	[ -z "$skip" ] || { all=skip; echo "wac-lava: skipped: $skip"; }
	signal scenario "$all"
	for f in "$OUT"/wac-*.json; do
		[ -f "$f" ] || continue
		json_flat "$f" | grep -q "^config.mode	verify$" && continue
		first=$f
		break
	done
	if [ -n "$first" ]; then
		json_flat "$first" | awk -F'\t' '
			$1 == "metrics.total.ops_per_s" { print "ops_per_s", $2, "ops/s" }
			$1 ~ /^metrics\.latency_ns\.[a-z_]+\.p(50|99)$/ {
				split($1, p, "."); print "latency_" p[3] "_" p[4], $2, "ns" }' |
			while read -r op v u; do signal "$op" pass "$v" "$u"; done
	fi
	echo "wac-lava: end"
}

main
