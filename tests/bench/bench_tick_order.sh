#!/bin/sh
# bench_tick_order.sh -- tick -> order inside the daemon: a replayed feed
# of trades, a strategy (tp-storm) acting on every trade, trusted then
# sandboxed; the OMS measures from a trade coming in to the order it caused
# reaching its venue (written ahead to SQLite first), over ~2,000 orders
# each.  In-memory figures and the write-ahead limit: bench_oms.  Run from
# the top build dir.
set -eu
b=$(cd "${QD_BUILDDIR:-.}" && pwd)
t=$(mktemp -d /tmp/qd-bench-tick-XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$t"' EXIT
mkdir -p "$t/plugins" "$t/quantd.d" "$t/var"
ln -s "$b/lib/plugins/exchange-replay.so" "$t/plugins/"
ln -s "$b/tests/plugins/.libs/tp-storm.so" "$t/plugins/"
/usr/bin/python3 - "$t/trades.csv" <<'PY'
import random, sys
r = random.Random(2)
p, rows = 100.0, []
for i in range(20000):
    p = round(p * (1 + r.uniform(-5e-4, 5e-4)), 2)
    rows.append("%d,%.2f,%.4f,%d,%d,%d,false,True" % (i + 1, p, r.uniform(0.01, 1), i + 1, i + 1, 1704067200000 + i * 20))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
cat > "$t/quantd.json" <<JSON
{"plugin_dirs": ["plugins"], "instances_dir": "quantd.d", "state_dir": "var", "listen": "127.0.0.1:0",
 "sandbox_helper": "$b/core/quantd-sandbox", "storage": {"url": "quantd.db", "enabled": false},
 "log": {"level": "warn", "file": "quantd.log"}}
JSON
cat > "$t/quantd.d/feed.json" <<JSON
{"plugin": "replay", "instance": "feed", "params": {"source": "file:$t/trades.csv", "symbol": "BTC/USDT", "speed": 10, "loop": true}}
JSON
for trust in trusted sandboxed; do
	rm -f "$t"/var/quantd.db* "$t/var/quantd.sock"
	cat > "$t/quantd.d/storm.json" <<JSON
{"plugin": "tp-storm", "instance": "storm", "trust": "$trust", "exchange": "feed",
 "account": {"balance": 100000000}, "params": {"seed": 3}}
JSON
	"$b/core/quantd" -c "$t/quantd.json" 2>/dev/null &
	pid=$!
	sleep 6
	"$b/core/quantctl" -c "$t/quantd.json" orders --stats > "$t/out"
	kill "$pid"; wait "$pid" 2>/dev/null || true
	pid=
	sed -n "s/^tick -> order accepted: /tick -> order accepted (risk, funds, queued to the journal), $trust strategy: /p" "$t/out"
	sed -n "s/^tick -> order at its venue: /tick -> order at the paper venue (written ahead to SQLite first), $trust strategy: /p" "$t/out"
done
