# shellcheck shell=bash
# page_cache: the target's folios at the end of a run (sourced by run).

# folio_pages JSON: the pages the folios of .page_cache hold (sum of
# count << order)
folio_pages() {
	jq '[.page_cache.folios_by_order | to_entries[] | (.value * pow(2; .key | tonumber))] | add // 0' "$1"
}

# kernel_at_least MAJOR MINOR: the running kernel is MAJOR.MINOR or later
kernel_at_least() {
	local r
	r=$(uname -r)
	r=${r%%-*}
	[ "$(printf '%s\n%s.%s\n' "${r%.*}" "$1" "$2" | sort -V | head -n 1)" = "$1.$2" ]
}

# One 64 KiB file, two first writes: laid out by wac's prefill (one
# 64 KiB write) and first written in 4 KiB pieces (by dd, and by
# --prefill-write 4k).  The 4 KiB layout is 16 folios of order 0 on every
# kernel; the prefilled file is the same 16 pages, on ext4 from 6.16
# (large folios, 7ac67301e82f) one folio of order 4.  Without
# CAP_SYS_ADMIN the folios are unknown and the note says why.
test_page_cache_folios() {
	_require_loop
	_require_cmd setpriv
	local json=$WORK/pc.json dir=$WORK/pc-nobody i
	rm -f "$EXT4_MNT/pc1.dat" "$EXT4_MNT/pc4k.dat"
	"$WAC" -q -p A -t 2 -T 1 -s 64k --json "$json" "$EXT4_MNT/pc1.dat" || return 1
	assert_eq "pages of a 64 KiB target" 16 "$(jget "$json" .page_cache.pages)" || return 1
	assert_eq "resident after a buffered run" 16 "$(jget "$json" .page_cache.resident)" || return 1
	assert_eq "pages in the folios counted" 16 "$(folio_pages "$json")" || return 1
	if kernel_at_least 6 16; then
		assert_eq "ext4 folios of a file laid out by one write ($(uname -r))" '{"4":1}' \
			"$(jq -c .page_cache.folios_by_order "$json")" || return 1
	fi
	for i in $(seq 0 15); do
		dd if=/dev/zero of="$EXT4_MNT/pc4k.dat" bs=4k count=1 seek="$i" conv=notrunc status=none
	done
	"$WAC" -q -p A -t 2 -T 1 -s 64k --no-prefill --json "$json" "$EXT4_MNT/pc4k.dat" || return 1
	assert_eq "folios of the file first written in 4 KiB pieces" '{"0":16}' \
		"$(jq -c .page_cache.folios_by_order "$json")" || return 1
	assert_eq "no note" null "$(jget "$json" .page_cache.note)" || return 1
	# the same by wac's own prefill, in writes of 4 KiB
	rm -f "$EXT4_MNT/pc1.dat"
	"$WAC" -q -p A -t 2 -T 1 -s 64k --prefill-write 4k --json "$json" "$EXT4_MNT/pc1.dat" || return 1
	assert_eq "config.prefill_write" 4096 "$(jget "$json" .config.prefill_write)" || return 1
	assert_eq "folios after --prefill-write 4k" '{"0":16}' \
		"$(jq -c .page_cache.folios_by_order "$json")" || return 1
	mkdir -p "$dir"
	chmod 777 "$dir"
	chmod o+x "$WORK" # mktemp made it 0700
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$WAC" -q -p A -t 2 -T 1 -s 64k --json "$dir/pc.json" "$dir/pc.dat" || return 1
	assert_eq "folios without CAP_SYS_ADMIN" null "$(jget "$dir/pc.json" .page_cache.folios_by_order)" || return 1
	assert_eq "resident without CAP_SYS_ADMIN" 16 "$(jget "$dir/pc.json" .page_cache.resident)" || return 1
	jget "$dir/pc.json" .page_cache.note | grep -q "kpageflags.*CAP_SYS_ADMIN" ||
		_fail "note: $(jget "$dir/pc.json" .page_cache.note)"
}
