#!/bin/bash
# The guest side of harness/cost --vm, started by /init as the share's
# vm-main.sh (harness/lib/cost-vm.sh puts it there): harness/cost from the
# share with --in-vm and the host's matrix options (SHARE/cost.args, one a
# line), its results to SHARE/out.
#
#   cost-vm.sh SHARE
set -euo pipefail

SHARE=$1
export PATH=/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=/tmp
mkdir -p "$SHARE/out"
uname -r >"$SHARE/out/kernel-release"
mapfile -t args <"$SHARE/cost.args"
rc=0
WAC=$SHARE/wac/wac bash "$SHARE/harness/cost" --in-vm --no-import --image-dir /tmp \
	--out "$SHARE/out" "${args[@]}" >"$SHARE/out/guest.log" 2>&1 || rc=$?
echo "$rc" >"$SHARE/out/guest-exit"
echo "wac-cost: guest cost exit $rc"
