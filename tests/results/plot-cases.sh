# tests/results/plot-cases.sh: the cases of tests/results/run for
# plots/wac-plot: every plot is checked by what it says (the .dat rows and
# the SVG text: kernels, profiles, values, legends), by its size, and by
# its x labels never colliding (sourced by tests/results/run; uses its
# PLOT, RESULTS, MKFIX, WORK, wac_binary and count_runs).
# shellcheck shell=bash

SVGTEXT=$HERE/svgtext

# ---------------------------------------------------------------- plots --

# valid_image FILE: PNG magic or an <svg> element, and a non-trivial size
valid_image() {
	local f=$1 size
	[ -f "$f" ] || { _fail "$f missing"; return 1; }
	size=$(stat -c %s "$f")
	case $f in
	*.png)
		[ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
			{ _fail "$f is not a PNG"; return 1; }
		assert_ge "$f size" 10000 "$size" ;;
	*.svg)
		grep -q '<svg' "$f" || { _fail "$f has no <svg>"; return 1; }
		if command -v xmllint >/dev/null; then
			xmllint --noout "$f" || { _fail "$f is not well-formed XML"; return 1; }
		else
			python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$f" ||
				{ _fail "$f is not well-formed XML"; return 1; }
		fi
		assert_ge "$f size" 5000 "$size" ;;
	esac
}

make_plot_fixtures() {
	local d=$WORK/plotfx n=0 k p s i ops sc exp v oc
	mkdir -p "$d"
	for k in 6.1.0-27-amd64 6.12.9-amd64; do
		for p in A B C; do
			for s in 0 1; do
				for i in 1 2 3; do
					n=$((n + 1))
					ops=$(((n * 37 % 50) + (s ? 7600 : 10000) * (1 + ${#p})))
					"$MKFIX" "$d/r$n.json" run_id="r$n" profile=$p kernel=$k stable=$s \
						ops=$ops lat_p50=$((2000 + s * 1500)) started="2026-11-2${i}T0$i:00:00Z"
				done
			done
		done
	done
	for k in 6.1 6.12; do
		for sc in negative-control-A pi-ext4-A; do
			n=$((n + 1)) exp=pass v=pass oc=ok
			if [ $sc = negative-control-A ]; then
				exp=detect v=fail
				[ $k = 6.12 ] && oc=unexpected v=pass
			fi
			"$MKFIX" "$d/h$n.json" harness=$sc alias=$k kernel=$k.0-amd64 run_id=hw$n \
				hrun=H$n expected=$exp verdict=$v outcome=$oc
		done
	done
	"$RESULTS" --db "$d/db" import -q --label baseline "$d"
}

# no plot's SVG may be bigger than this (one was once 262 MB)
SVG_MAX=300000

# svg_has FILE TEXT...: every TEXT is a whole text element of the SVG
svg_has() {
	local f=$1 t all
	shift
	all=$("$SVGTEXT" texts "$f" | cut -d' ' -f5-)
	for t in "$@"; do
		grep -qxF -- "$t" <<<"$all" || { _fail "$(basename "$f") has no text '$t'"; return 1; }
	done
}

# sane_svg FILE: small, and no two x labels collide
sane_svg() {
	local f=$1 size
	size=$(stat -c %s "$f")
	[ "$size" -le "$SVG_MAX" ] || { _fail "$(basename "$f"): $size bytes > $SVG_MAX"; return 1; }
	"$SVGTEXT" collisions "$f" || { _fail "$(basename "$f"): x labels collide"; return 1; }
}

test_plots_valid() {
	_require_cmd gnuplot
	make_plot_fixtures
	local d=$WORK/plotfx kind f
	for kind in cost kernels latency trend outcomes; do
		"$PLOT" "$kind" --db "$d/db" --out "$d/out" >/dev/null || _fail "wac-plot $kind failed" || return 1
		for f in "$d/out/$kind.png" "$d/out/$kind.svg"; do
			valid_image "$f" || return 1
		done
		sane_svg "$d/out/$kind.svg" || return 1
	done
	# the cost table agrees with the fixtures (stable on is 24% slower)
	grep -q -- '-2[0-9]\.[0-9]%' "$d/out/cost.txt" || _fail "cost table: $(cat "$d/out/cost.txt")" || return 1
	# no data: exit 3 and a message, no image
	local rc=0
	"$PLOT" outcomes --db "$d/db" --select kernel=9.9 --out "$d/none" 2>/dev/null || rc=$?
	assert_eq "exit status without data" 3 "$rc"
}

# What each plot of the fixtures says: 2 kernels x profiles A-C x stable
# pages off/on, on 24% slower than off.
test_plots_content() {
	_require_cmd gnuplot
	local d=$WORK/plotfx/sel curve kind
	[ -s "$WORK/plotfx/db" ] || _skip "plots-valid made no fixtures"
	for kind in kernels cost latency outcomes; do
		"$PLOT" $kind --db "$WORK/plotfx/db" --out "$d" --format svg \
			--select "kernel=6.1.0-27-amd64|6.12.9-amd64$([ $kind = outcomes ] && echo '|6.1*')" >/dev/null || return 1
	done
	# kernels: a column pair per kernel, a row per profile and flag, no gap
	head -1 "$d/kernels.dat" | grep -qxF '"group" "6.1.0-27-amd64" "6.1.0-27-amd64 sd" "6.12.9-amd64" "6.12.9-amd64 sd"' ||
		_fail "kernels.dat header: $(head -1 "$d/kernels.dat")" || return 1
	assert_eq "kernels.dat rows" 6 "$(awk 'NR > 1 && $2 > 0 && $4 > 0' "$d/kernels.dat" | wc -l)" || return 1
	svg_has "$d/kernels.svg" 6.1.0-27-amd64 6.12.9-amd64 A B C stable=on stable=off "operations per second (total.ops_per_s)" || return 1
	# cost: every group about -24%, its interval drawn and excluding 0
	assert_eq "cost rows at -20..-28% and significant" 6 \
		"$(awk '!/^#/ && $6 < -20 && $6 > -28 && $7 < $6 && $8 > $6 && $8 < 0 && $9 == 1' "$d/cost.dat" | wc -l)" || return 1
	svg_has "$d/cost.svg" "interval excludes 0" "change, stable pages on (%, 95% interval)" || return 1
	grep -q -- '-2[0-9]\.[0-9]%' <("$SVGTEXT" texts "$d/cost.svg") || _fail "no cost label in cost.svg" || return 1
	! grep -q 'not significant' "$d/cost.svg" || _fail "a significant change drawn as not significant" || return 1
	# latency: one curve per kernel, flag and profile; the key under the axes
	curve=$(head -1 "$d/latency-write.dat" | grep -o '"6.1.0-27-amd64 stable=off A"') ||
		_fail "latency-write.dat header: $(head -1 "$d/latency-write.dat")" || return 1
	"$SVGTEXT" below "$d/latency.svg" percentile "${curve//\"/}" ||
		_fail "the latency key is not under the axes" || return 1
	# outcomes: the cells say what happened
	svg_has "$d/outcomes.svg" negative-control-A pi-ext4-A 6.1 6.12 UNEXPECTED detect pass || return 1
}

# Many groups with long names (a corpus of scenarios on one kernel): the
# labels are rotated, not drawn over each other; a few stay upright.
test_plot_labels_never_collide() {
	_require_cmd gnuplot
	local d=$WORK/plotlab i n
	mkdir -p "$d"
	for i in $(seq 1 24); do
		"$MKFIX" "$d/h$i.json" harness="flakey-allow-C-stable-writes-$i" alias=6.1 \
			kernel=6.1.0-56-amd64 run_id="w$i" hrun="H$i" ops=$((1000 + i)) || return 1
	done
	"$RESULTS" --db "$d/db" import -q "$d" || return 1
	"$PLOT" kernels --db "$d/db" --out "$d/many" --format svg >/dev/null || return 1
	sane_svg "$d/many/kernels.svg" || return 1
	n=$("$SVGTEXT" texts "$d/many/kernels.svg" | awk '$3 == -45' | grep -c flakey-allow) || true
	assert_eq "rotated scenario labels" 24 "$n" || return 1
	"$PLOT" kernels --db "$d/db" --out "$d/few" --format svg --select "scenario=flakey-allow-C-stable-writes-2?" >/dev/null || return 1
	sane_svg "$d/few/kernels.svg" || return 1
	n=$("$SVGTEXT" texts "$d/few/kernels.svg" | awk '$3 == 0' | grep -c flakey-allow) || true
	[ "$n" -ge 2 ] || _fail "few labels: $n upright" || return 1
}

# Throughputs three orders of magnitude apart: a log axis, and it says so.
test_plots_log_axis() {
	_require_cmd gnuplot
	local d=$WORK/plotlog p s i n=0 base
	mkdir -p "$d"
	for p in A B; do
		base=100
		[ $p = A ] || base=100000
		for s in 0 1; do
			for i in 1 2 3; do
				n=$((n + 1))
				"$MKFIX" "$d/r$n.json" run_id="log$n" profile=$p stable=$s \
					ops=$((base + i)) || return 1
			done
		done
	done
	"$RESULTS" --db "$d/db" import -q "$d" || return 1
	"$PLOT" cost --db "$d/db" --out "$d" --format svg >/dev/null || return 1
	"$PLOT" kernels --db "$d/db" --out "$d" --format svg >/dev/null || return 1
	svg_has "$d/cost.svg" "operations per second (total.ops_per_s) (log scale)" || return 1
	svg_has "$d/kernels.svg" "operations per second (total.ops_per_s) (log scale)"
}

test_plots_real_runs() {
	_require_cmd gnuplot
	local f n
	n=$(count_runs "$WAC_RESULTS_DB" tool=wac 2>/dev/null) || n=0
	[ "$n" -gt 0 ] || _skip "no real wac runs in this test's database"
	"$PLOT" kernels --out "$WORK/realplots" --select tool=wac >/dev/null || return 1
	"$PLOT" trend --out "$WORK/realplots" --select tool=wac --baseline label=normal >/dev/null || return 1
	"$PLOT" latency --out "$WORK/realplots" --select tool=wac >/dev/null || return 1
	for f in "$WORK"/realplots/*.png "$WORK"/realplots/*.svg; do
		valid_image "$f" || return 1
	done
	for f in "$WORK"/realplots/*.svg; do
		sane_svg "$f" || return 1
	done
}

# A trend of a single run: a padded time axis with a few ticks (it once
# wrote a 262 MB SVG of 3.4 M tick lines), no baseline legend and no
# "Nightly" title when there is neither; every SVG stays small.
test_trend_one_run() {
	local d=$WORK/trend1 wac svg
	wac=$(wac_binary)
	mkdir -p "$d"
	"$wac" -q -p A -t 2 -s 64k -T 1 --json "$d/one.json" "$d/one.dat" || return 1
	"$RESULTS" --db "$d/db" import -q "$d/one.json" || return 1
	"$PLOT" trend --db "$d/db" --out "$d/out" --select tool=wac >/dev/null || return 1
	svg=$d/out/trend.svg
	[ "$(wc -c <"$svg")" -le 200000 ] || _fail "SVG of $(wc -c <"$svg") bytes" || return 1
	grep -q '>Trend of total.ops_per_s<' "$svg" || _fail "title: $(grep -o '>[^<>]*Trend[^<]*<' "$svg")" || return 1
	! grep -q 'baseline' "$svg" || _fail "a baseline legend without a baseline" || return 1
	[ "$(grep -c '' "$d/out/trend.dat")" -ge 2 ] || _fail "no data row: $(cat "$d/out/trend.dat")" || return 1
	# kernels: a bar of one run has no error bar (its sd column is NaN)
	"$PLOT" kernels --db "$d/db" --out "$d/out" --select tool=wac >/dev/null || return 1
	assert_eq "kernels row of one run" NaN "$(awk 'NR == 2 { print $3 }' "$d/out/kernels.dat")"
}

