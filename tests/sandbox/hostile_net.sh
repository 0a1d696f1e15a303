#!/bin/sh
# A sandboxed exchange adapter reaches only the hosts its instance's
# configuration names: its ws_url and rest_url work (trades flow from the
# loopback echo server), every other target -- another port, a metadata
# address, a user-info look-alike, another name for the same address, a
# file URL -- is refused, and the refusals are logged naming the instance.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
sandbox_config net
"$PY" "$QD_SRCDIR/tests/fakes/echo_server.py" "$T/ports" 2> "$T/echo.err" &
ECHO=$!
trap 'kill $ECHO 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "echo server starts" "$(cat "$T/echo.err")"
	finish
	exit 1
fi
read WS HTTP < "$T/ports"
rm -f "$T/quantd.d/feed.json"
cat > "$T/quantd.d/net.json" <<JSON
{"plugin": "hostile-net", "instance": "h-net", "symbols": ["BTC/USDT"],
 "params": {"ws_url": "ws://127.0.0.1:$WS/echo", "rest_url": "http://127.0.0.1:$HTTP"}}
JSON
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "the adapter starts sandboxed" wait_for 10 log_has 'tag=h-net msg="started plugin hostile-net 0.1.0 (exchange, sandboxed)"'
for i in 0 1; do
	check "configured target $i is reached" wait_for 5 log_has "tag=h-net msg=\"reach $i: ok\""
done
for i in 2 3 4 5 6 7; do
	check "target $i is refused" wait_for 5 log_has "tag=h-net msg=\"reach $i: .*denied"
done
check "a file its configuration does not name is not read" wait_for 5 log_has 'tag=h-net msg="history of a file not named: denied'
check "and the host says so" log_has 'tag=h-net msg="history file /etc/passwd refused: not a file the instance.s configuration names"'
check "the refusals are logged by the host" log_has "tag=h-net msg=\"sandboxed plugin hostile-net: connection to 'ws://127.0.0.1:1/' refused"
check "refusals are logged at powers of two, not each" sh -c "[ \$(grep -c 'refused: not a host its configuration names' '$T/quantd.log') -eq 3 ]"
stats=$(ctl --json data stats)
case $stats in *'"candles":{"trades":'[1-9]*) ok "what the configured WebSocket sends flows on" ;;
	*) not_ok "what the configured WebSocket sends flows on" "$stats" ;; esac
check "the daemon is still serving" ctl plugin list
stop_daemon
finish
