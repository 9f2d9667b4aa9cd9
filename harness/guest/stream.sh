#!/bin/bash
# The results channel out of the guest (sourced): a virtio-serial port the
# host writes to a file, so results reach the host even when the guest's
# filesystems (the 9p share) are stuck.  Each file goes as one frame:
#
#   WACFRAME <name> <size> <sha256>\n<size bytes>\nWACEND\n
#
# harness/lib/frames.py unpacks them and keeps the last intact frame of
# each name.  Without the port (the native backend) stream_out does nothing.

STREAM_PORT_NAME=wac.results

# stream_port: the port's device, or nothing.
stream_port() {
	local p
	for p in /sys/class/virtio-ports/*; do
		[ -r "$p/name" ] && [ "$(cat "$p/name")" = "$STREAM_PORT_NAME" ] &&
			[ -c "/dev/${p##*/}" ] && echo "/dev/${p##*/}" && return 0
	done
	return 0
}

STREAM_DEV=${STREAM_DEV-$(stream_port)}

# console_mark TEXT: a line the host reads in the serial log (an item's
# begin and end, the watchdog's report), as one kernel-log record.  A
# line echoed to the console leaves through the tty after write()
# returns, and kernel messages printed meanwhile cut into it (seen: the
# sysrq dump that follows it glued inside "task dump end"); a record is
# printed whole, in order with the kernel's own.
console_mark() {
	printf '%s\n' "$*" >/dev/kmsg 2>/dev/null || printf '%s\n' "$*"
}

# stream_out FILE...: each file as a frame named by its base name, after
# STREAM_PREFIX (a batch item's "NNNN/").
stream_out() {
	local f size sum
	[ -n "$STREAM_DEV" ] || return 0
	for f in "$@"; do
		[ -f "$f" ] || continue
		size=$(stat -c %s "$f")
		sum=$(sha256sum "$f" | cut -d' ' -f1)
		{
			printf 'WACFRAME %s%s %s %s\n' "${STREAM_PREFIX:-}" "${f##*/}" "$size" "$sum"
			cat "$f"
			printf '\nWACEND\n'
		} >"$STREAM_DEV" 2>/dev/null || true
	done
}
