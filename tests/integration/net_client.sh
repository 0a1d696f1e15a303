#!/bin/sh
# The net thread's WebSocket and HTTP clients against a real loopback
# server (tests/fakes/echo_server.py, Debian's python3-websockets).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
"$PY" "$QD_SRCDIR/tests/fakes/echo_server.py" "$T/ports" 2> "$T/server.err" &
SRV=$!
trap 'kill $SRV 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "echo server starts" "$(cat "$T/server.err")"
	finish
	exit 1
fi
read ws http < "$T/ports"
if out=$("$QD_BUILDDIR/tests/unit/test_netclient" "$ws" "$http" 2>&1); then
	ok "WebSocket and HTTP clients"
else
	not_ok "WebSocket and HTTP clients" "$out"
fi
finish
