#!/bin/sh
# One host runtime: a strategy that calls every entry of struct
# qd_host_api (tests/plugins/tp_api.c) gets the same answers in all modes
# -- in the daemon trusted and sandboxed, in a backtest in-process and
# sandboxed.  Its log lines (WARN and above, without time and tag) must be
# the same, line for line.
. "$QD_SRCDIR/tests/integration/lib.sh"

make_config
for f in ta exchange-replay; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
mkdir -p "$T/mine"
cp "$TP/tp-api.so" "$T/mine/"
sed -i 's|"plugin_dirs": \["plugins"\],|"plugin_dirs": ["plugins", "mine"],|' "$T/quantd.json"
echo '{"plugin": "replay", "instance": "feed", "params": {"interval_ms": 50}}' > "$T/quantd.d/feed.json"
echo '{"plugin": "tp-api", "instance": "api-t", "exchange": "feed", "symbols": ["BTC/USDT"]}' > "$T/quantd.d/api-t.json"
echo '{"plugin": "tp-api", "instance": "api-s", "trust": "sandboxed", "exchange": "feed", "symbols": ["BTC/USDT"]}' > "$T/quantd.d/api-s.json"

# msgs TAG FILE: the instance's WARN and ERROR messages, in order.
msgs() {
	grep -E "level=(warn|error) tag=$1 " "$2" | sed 's/.* msg="\(.*\)"$/\1/'
}

start_daemon || { not_ok "daemon starts" "$(cat "$T/stderr")"; finish; exit 1; }
wait_for 10 grep -q 'tag=api-s msg="api walk: done"' "$T/quantd.log"
stop_daemon
msgs api-t "$T/quantd.log" > "$T/daemon-trusted.txt"
msgs api-s "$T/quantd.log" > "$T/daemon-sandboxed.txt"

# Backtests: the module by path, from a config that has it nowhere else.
sed 's|"plugins", "mine"|"plugins"|' "$T/quantd.json" > "$T/bt.json"
"$QUANTCTL" data synth --bars 50 --seed 5 > "$T/bars.csv"
"$QUANTCTL" -c "$T/bt.json" backtest --strategy "$T/mine/tp-api.so" \
    --data "$T/bars.csv" > /dev/null 2> "$T/bt-in.err"
"$QUANTCTL" -c "$T/bt.json" backtest --strategy "$T/mine/tp-api.so" \
    --sandbox --data "$T/bars.csv" > /dev/null 2> "$T/bt-sb.err"
msgs tp-api "$T/bt-in.err" > "$T/backtest.txt"
msgs tp-api "$T/bt-sb.err" > "$T/backtest-sandboxed.txt"

# Every entry of the table, read from the SDK header, is called by the walk.
entries=$(sed -n '/^struct qd_host_api {/,/^};/p' "$QD_SRCDIR/sdk/quantd/sdk.h" |
	sed -n 's/.*(\*\([a-z_]*\))(.*/\1/p')
missing=
for e in $entries; do
	grep -q -- "->$e(" "$QD_SRCDIR/tests/plugins/tp_api.c" || missing="$missing $e"
done
n=$(printf '%s\n' $entries | wc -l)
if [ -z "$missing" ] && [ "$n" -ge 30 ] &&
    grep -q '^api walk: done$' "$T/daemon-trusted.txt"; then
	ok "the walk calls all $n entries of struct qd_host_api"
else
	not_ok "the walk calls every entry" "missing:$missing; $(tail -3 "$T/daemon-trusted.txt")"
fi
check "hmac: the well-known HMAC-SHA256 example (key, quick brown fox)" grep -q '^api hmac sha256 value: f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8$' "$T/daemon-trusted.txt"
for m in daemon-sandboxed backtest backtest-sandboxed; do
	if diff "$T/daemon-trusted.txt" "$T/$m.txt" > "$T/$m.diff"; then
		ok "$m answers as the daemon's trusted instance"
	else
		not_ok "$m answers as the daemon's trusted instance" "$(cat "$T/$m.diff")"
	fi
done
finish
