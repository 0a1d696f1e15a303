#!/bin/sh
# Without user namespaces the sandbox fails closed: no sandboxed plugin is
# described or started (each refusal names the reason and the fix), the
# trusted instances run, and quantctl backtest --sandbox refuses too.
. "$QD_SRCDIR/tests/integration/lib.sh"

NOUSERNS=$QD_BUILDDIR/tests/sandbox/no_userns
sandbox_config ctor-read
echo '{"plugin": "sma-cross-example", "instance": "good-sandboxed", "trust": "sandboxed", "exchange": "feed", "symbols": ["BTC/USDT"], "params": {"fast": 3, "slow": 8}}' > "$T/quantd.d/good-s.json"
echo '{"plugin": "sma-cross-example", "instance": "good-trusted", "exchange": "feed", "symbols": ["BTC/USDT"], "params": {"fast": 3, "slow": 8}}' > "$T/quantd.d/good-t.json"

"$NOUSERNS" "$QUANTD" -c "$T/quantd.json" > "$T/stdout" 2> "$T/stderr" &
QD_PID=$!
if wait_for 10 grep -q 'tag=daemon msg="ready: ' "$T/quantd.log"; then
	ok "daemon starts without user namespaces"
else
	not_ok "daemon starts without user namespaces" "$(cat "$T/stderr")"
	finish; exit 1
fi
why="cannot give the plugin a private file system: unshare(CLONE_NEWUSER | CLONE_NEWNS) failed (Operation not permitted); sandboxed plugins need unprivileged user namespaces"
check "an untrusted module is refused, with the reason and the fix" \
    grep -qF "hostile-ctor-read.so refused: $why" "$T/quantd.log"
check "a sandboxed instance fails to start, with the reason" \
    grep -qF "tag=good-sandboxed msg=\"instance failed: sandbox: $why" "$T/quantd.log"
sleep 0.5
ctl plugin list > "$T/list.txt"
check "the sandboxed instance is listed failed" grep -Eq ' good-sandboxed +sandboxed +failed' "$T/list.txt"
check "the trusted instance runs" grep -Eq ' good-trusted +trusted +running' "$T/list.txt"
if stop_daemon; then ok "daemon exits 0"; else not_ok "daemon exits 0"; fi

"$QUANTCTL" data synth --bars 200 --seed 2 > "$T/bars.csv"
if "$NOUSERNS" "$QUANTCTL" -c "$T/quantd.json" backtest --strategy sma-cross-example \
    --sandbox --data "$T/bars.csv" > "$T/bt.out" 2>&1; then
	not_ok "backtest --sandbox refuses without user namespaces"
else
	ok "backtest --sandbox refuses without user namespaces"
fi
check "backtest --sandbox names the reason" grep -qF "$why" "$T/bt.out"
finish
