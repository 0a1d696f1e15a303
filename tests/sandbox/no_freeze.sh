#!/bin/sh
# Sandboxed children never block the daemon: a create() that runs for 3 s
# and an on_bar that runs for 1.5 s on every bar leave the core loop free
# (the control socket answers while they run, the trusted strategy keeps
# running), and a child fed faster than it handles bars is stopped with
# "cannot keep up".  Orderings in the log prove it, not timings.
. "$QD_SRCDIR/tests/integration/lib.sh"

sandbox_config slow-create slow-bar
echo '{"plugin": "replay", "instance": "fast", "params": {"interval_ms": 1}}' > "$T/quantd.d/fast.json"
lim='"limits": {"restarts": 0, "cpu_ms_per_call": 3000}'
echo "{\"plugin\": \"hostile-40\", \"instance\": \"h-slow-create\", \"exchange\": \"feed\", \"symbols\": [\"BTC/USDT\"], $lim}" > "$T/quantd.d/h-slow-create.json"
echo "{\"plugin\": \"hostile-41\", \"instance\": \"h-slow-bar\", \"exchange\": \"feed\", \"symbols\": [\"BTC/USDT\"], $lim}" > "$T/quantd.d/h-slow-bar.json"
echo "{\"plugin\": \"hostile-41\", \"instance\": \"h-flooded\", \"exchange\": \"fast\", \"symbols\": [\"ETH/USDT\"], $lim}" > "$T/quantd.d/h-flooded.json"
echo '{"plugin": "sma-cross-example", "instance": "good-trusted", "exchange": "feed", "symbols": ["BTC/USDT"], "params": {"fast": 3, "slow": 8}}' > "$T/quantd.d/good-t.json"

"$QUANTD" -c "$T/quantd.json" > "$T/stdout" 2> "$T/stderr" &
QD_PID=$!

# answered_before MARK NAME: the control socket answers (plugin list with
# the trusted instance running) before MARK appears in the log.
answered_before() {
	ctl plugin list > "$T/list.txt" 2>&1
	cp "$T/quantd.log" "$T/snap.log"
	if grep -Eq ' good-trusted +trusted +running' "$T/list.txt" &&
	    ! grep -qF "$1" "$T/snap.log"; then
		ok "$2"
	else
		not_ok "$2" "$(cat "$T/list.txt"; grep -F "$1" "$T/snap.log")"
	fi
}

if wait_for 10 log_has 'tag=h-slow-create msg="slow create begins"'; then
	answered_before 'slow create ends' "a 3 s create() does not hold the daemon"
else
	not_ok "the slow create began" "$(cat "$T/stderr")"
fi
if wait_for 10 log_has 'tag=h-slow-bar msg="slow bar 0 begins"'; then
	answered_before 'tag=h-slow-bar msg="slow bar 0 ends"' "a 1.5 s on_bar does not hold the daemon"
else
	not_ok "the slow bar began"
fi
check "ready once the slow create reported" wait_for 10 log_has 'tag=daemon msg="ready: 6 instance(s), 0 failed to start"'
check "ready comes after the slow create's end" sh -c "grep -n 'slow create ends\|msg=\"ready: ' '$T/quantd.log' | head -1 | grep -q 'slow create ends'"
check "a child fed faster than it can handle is stopped" wait_for 30 log_has 'tag=h-flooded msg="sandboxed plugin hostile-41 stopped: cannot keep up: 4096 events waiting'
check "and marked failed" wait_for 5 log_has 'tag=h-flooded msg="instance failed: sandbox: cannot keep up'
check "the slow bar child keeps running" sh -c "! grep -q 'tag=h-slow-bar msg=\"sandboxed plugin hostile-41 stopped' '$T/quantd.log'"
if stop_daemon; then ok "daemon exits 0"; else not_ok "daemon exits 0"; fi
finish
