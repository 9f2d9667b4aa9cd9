#!/bin/bash
# Step folio_orders, the large-folio evidence of
# results/notes/slowdown-7.2-large-folios.md (sourced by tests/harness/run).

# folio_orders DOC: observed.folio_orders.by_order as "ORDER:COUNT ..."
folio_orders() {
	jq -r '.observed.folio_orders.by_order // {} | to_entries | map("\(.key):\(.value)") | join(" ")' "$1"
}

test_folio_orders_vm() {
	# the count itself: a 64 KiB file written in 4 KiB pieces is 16 folios
	# of order 0 on any kernel, with no event lost; and the flip on the
	# kernel that has large folios (7.2, when cached): the same file laid
	# out by wac's one 64 KiB write is one large folio there
	[ "${WAC_TEST_SKIP_VM:-0}" = 1 ] && _skip "WAC_TEST_SKIP_VM=1"
	_require_cmd qemu-system-x86_64 busybox cpio jq
	[ -x "$TOP_DIR/wac/wac-static" ] || _skip "wac/wac-static not built (make)"
	"$HARNESS/kernel" path "$KERNEL" >/dev/null 2>&1 || _skip "kernel $KERNEL is not cached"
	local kernels=$KERNEL rc=0 k doc
	if [ "$KERNEL" != 7.2 ] && "$HARNESS/kernel" path 7.2 >/dev/null 2>&1; then kernels+=,7.2; fi
	"$HARNESS/run" -q --kernel "$kernels" --results "$WORK/runs" --run-id folios \
		"$TOP_DIR/scenarios/folio-orders-A-ext4.scn" \
		"$TOP_DIR/scenarios/folio-orders-A-ext4-4k-layout.scn" >"$WORK/folios.out" 2>&1 || rc=$?
	sed 's/^/    /' "$WORK/folios.out" | tail -n 6
	assert_eq "harness/run exit" 0 "$rc" || return 1
	for k in ${kernels//,/ }; do
		doc=$WORK/runs/folios/folio-orders-A-ext4-4k-layout@$k/harness.json
		assert_eq "4 KiB layout on $k" "0:16" "$(folio_orders "$doc")" || return 1
		assert_eq "events lost on $k" 0 "$(jq .observed.folio_orders.events_lost "$doc")" || return 1
		doc=$WORK/runs/folios/folio-orders-A-ext4@$k/harness.json
		echo "    $k: one 64 KiB write: $(folio_orders "$doc")"
		case $k in
		7.2) jq -e '.observed.folio_orders.by_order | keys | map(tonumber) | max > 0' "$doc" >/dev/null ||
			_fail "7.2: no large folio for the 64 KiB file" || return 1 ;;
		*) [ -n "$(folio_orders "$doc")" ] || _fail "$k: no folio of the target traced" || return 1 ;;
		esac
	done
	[[ $kernels == *7.2* ]] || echo "    (7.2 not cached: the large-folio half not run)"
}

test_folio_orders_native() {
	# the step on this machine's kernel: the target's 64 KiB counted
	# (16 pages' worth in whatever orders ext4 chose), and tracefs left as
	# it was found (no instance left; unmounted again if it was not mounted)
	_require_cmd jq findmnt
	[ "$(id -u)" -eq 0 ] || _skip "needs root"
	local t=/sys/kernel/tracing mounted=0 rc=0 doc pages
	grep -q " $t tracefs " /proc/mounts && mounted=1
	"$HARNESS/run" -q --backend native --results "$WORK/native-folios" --run-id nf \
		"$DATA/native-folio-orders.scn" >"$WORK/nf.out" 2>&1 || rc=$?
	doc=$(find "$WORK/native-folios/nf" -name harness.json | head -n 1)
	[ -n "$doc" ] || { cat "$WORK/nf.out"; _fail "no harness.json"; return 1; }
	[ "$(jq -r .outcome "$doc")" != skip ] || _skip "$(jq -r .reason "$doc")"
	assert_eq "outcome" ok "$(jq -r .outcome "$doc")" || { jq -c .observed "$doc"; return 1; }
	echo "    $(uname -r): $(folio_orders "$doc")"
	pages=$(jq '.observed.folio_orders.by_order | to_entries | map(.value * pow(2; .key | tonumber)) | add' "$doc")
	assert_eq "4 KiB pages in the target's folios" 16 "$pages" || return 1
	! ls -d "$t"/instances/wac-folios-* >/dev/null 2>&1 || _fail "a trace instance is left" || return 1
	assert_eq "tracefs mounted (as before)" "$mounted" "$(grep -c " $t tracefs " /proc/mounts)"
}
