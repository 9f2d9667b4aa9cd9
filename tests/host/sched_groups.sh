#!/bin/bash
# wac --sched-groups cases of tests/host/run, sourced by it: while a run
# lasts each of its threads is in a top-level cpu cgroup of its own, and
# none is left after it; from inside a cpu cgroup (where autogroup does
# not apply) the option is refused with one line and leaves nothing.

# cpu_hierarchy: the mount point of the cgroup v1 hierarchy with cpu
# (found here independently of wac, to check what it did)
cpu_hierarchy() {
	findmnt -rn -t cgroup -o TARGET,OPTIONS |
		awk '$2 ~ /(^|,)cpu(,|$)/ { print $1; found = 1; exit } END { exit !found }'
}

# cpu_groups PID: the cpu cgroups of PID's threads, sorted, on one line
cpu_groups() {
	cat /proc/"$1"/task/*/cgroup 2>/dev/null |
		awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' | sort -u | tr '\n' ' '
}

test_sched_groups() {
	_require_root
	_require_cmd findmnt
	local root json=$WORK/sg.json rc=0 pid seen
	root=$(cpu_hierarchy) || _skip "no cgroup v1 cpu hierarchy (wac --sched-groups needs one)"
	"$WAC" -q -p A --writers 3 --mmappers 0 -s 1m -T 2 --sched-groups \
		--json "$json" "$WORK/sg.dat" 2>"$WORK/sg.err" &
	pid=$!
	sleep 1
	seen=$(cpu_groups "$pid")
	wait "$pid" || rc=$?
	assert_eq "exit status ($(cat "$WORK/sg.err"))" 0 "$rc" || return 1
	# the main, watchdog and kernel-log threads stay where the process is
	assert_eq "cpu cgroups of the threads" "/ /wac-$pid.0 /wac-$pid.1 /wac-$pid.2 " "$seen" || return 1
	assert_eq "sched_groups_joined" 3 "$(jget "$json" .config.sched_groups_joined)" || return 1
	assert_eq "groups left in $root" "" "$(find "$root" -maxdepth 1 -name "wac-$pid.*")" || return 1
	echo "    threads in: $seen"
}

test_sched_groups_refused_in_cgroup() {
	_require_root
	_require_cmd findmnt
	local root cg rc=0 err
	root=$(cpu_hierarchy) || _skip "no cgroup v1 cpu hierarchy"
	cg=$root/wac-test-$$
	mkdir "$cg"
	err=$(
		echo "$BASHPID" >"$cg/tasks"
		exec "$WAC" -q -p A --writers 2 --mmappers 0 -s 1m -T 1 \
			--sched-groups "$WORK/sg-in-cg.dat" 2>&1 >/dev/null
	) || rc=$?
	rmdir "$cg"
	assert_eq "exit status" 2 "$rc" || return 1
	assert_eq "lines on stderr" 1 "$(wc -l <<<"$err")" || return 1
	grep -q "wac is in cpu cgroup /wac-test-$$, where autogroup does not apply" <<<"$err" ||
		_fail "message: $err" || return 1
	[ ! -e "$WORK/sg-in-cg.dat" ] || _fail "the refused run left its target behind" || return 1
	assert_eq "groups left" "" "$(find "$root" -maxdepth 1 -name 'wac-[0-9]*.*')" || return 1
	echo "    $err"
}
