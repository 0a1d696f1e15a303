#!/bin/sh
# bench_e2e.sh -- end to end: a fake Binance on loopback sends a trade at
# each millisecond boundary (its time); the binance adapter parses it, the
# host publishes it, and a strategy's on_trade (tests/plugins/tp_latency.c)
# reads the wall clock: the trade's age there, p50/p90/p99, in-process and
# sandboxed.  The limit: the same feed read by a bare client
# (python websockets, parse included) on the same machine.  Run from the
# top build dir.
set -eu
b=$(cd "${QD_BUILDDIR:-.}" && pwd)
src=${QD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
S=${QD_BENCH_SECONDS:-20}
PY=/usr/bin/python3
t=$(mktemp -d /tmp/qd-bench-e2e-XXXXXX)
FAKE=
trap 'kill $FAKE 2>/dev/null; rm -rf "$t"' EXIT
FAKE_ALIGN_MS=1 "$PY" "$src/tests/fakes/fake_binance.py" "$t/ports" 2> "$t/fake.err" &
FAKE=$!
i=0
while [ ! -s "$t/ports" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
read WS HTTP < "$t/ports"
mkdir -p "$t/plugins" "$t/quantd.d" "$t/var"
ln -s "$b/lib/plugins/exchange-binance.so" "$t/plugins/"
cp "$b/tests/plugins/.libs/tp-latency.so" "$t/plugins/"
cat > "$t/quantd.json" <<JSON
{"plugin_dirs": ["plugins"], "instances_dir": "quantd.d", "state_dir": "var", "listen": "127.0.0.1:0",
 "storage": {"enabled": false},
 "sandbox_helper": "$b/core/quantd-sandbox",
 "log": {"level": "warn", "file": "quantd.log"}}
JSON
cat > "$t/quantd.d/binance.json" <<JSON
{"plugin": "binance", "instance": "binance", "symbols": ["BTC/USDT"],
 "params": {"ws_url": "ws://127.0.0.1:$WS/ws", "rest_url": "http://127.0.0.1:$HTTP"}}
JSON
echo '{"plugin": "tp-latency", "instance": "in-process", "exchange": "binance"}' > "$t/quantd.d/lt.json"
echo '{"plugin": "tp-latency", "instance": "sandboxed", "trust": "sandboxed", "exchange": "binance"}' > "$t/quantd.d/ls.json"
"$b/core/quantd" -c "$t/quantd.json" > "$t/out" 2>&1 &
QD=$!
# The bare client, at the same time, on the same feed.
"$PY" - "$WS" "$S" > "$t/bare" <<'PY' &
import asyncio, json, sys, time
import websockets
async def main():
    lat = []
    async with websockets.connect("ws://127.0.0.1:%s/ws" % sys.argv[1]) as ws:
        await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1}))
        end = time.time() + float(sys.argv[2]) - 2
        while time.time() < end:
            m = json.loads(await ws.recv())
            if m.get("e") == "trade":
                lat.append(time.time() * 1e6 - m["T"] * 1000)
    lat.sort()
    n = len(lat)
    print("latency n=%d p50=%d p90=%d p99=%d max=%d us" % (n, lat[n // 2], lat[n * 9 // 10], lat[n * 99 // 100], lat[-1]))
asyncio.run(main())
PY
BARE=$!
sleep "$S"
kill -TERM $QD
wait $QD || true
wait $BARE || true
line() { sed -n "s/.*tag=$1 msg=\"\(latency [^\"]*\)\".*/\1/p" "$t/quantd.log" | tail -1; }
p50() { echo "$1" | sed -n 's/.*p50=\([0-9]*\).*/\1/p'; }
bare=$(cat "$t/bare")
inp=$(line in-process)
sbx=$(line sandboxed)
[ -n "$sbx" ] || sbx="(none: $(grep "tag=sandboxed" "$t/quantd.log" | tail -2 | tr "\n" " "))"
echo "e2e trade age at on_trade (fake Binance on loopback, $S s, one trade per ms boundary):"
echo "  in-process:  $inp"
echo "  sandboxed:   $sbx"
echo "  bare client: $bare (the limit: same feed, python websockets)"
awk -v a="$(p50 "$inp")" -v s="$(p50 "$sbx")" -v l="$(p50 "$bare")" 'BEGIN {
	if (l > 0) printf "  p50 vs the bare client: in-process %.2fx, sandboxed %.2fx\n", a / l, s / l }'
