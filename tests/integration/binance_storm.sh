#!/bin/sh
# Disconnect storm: the fake Binance cuts every connection every 2 s for
# 2 minutes while it trades -- and around each minute boundary refuses
# connections for 4 s, so the closing klines are missed live and must come
# from the REST backfill; afterwards the 1m candles quantd stored are the
# fake's own, minute for minute: none missing, none twice, none different.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
"$PY" "$QD_SRCDIR/tests/fakes/fake_binance.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/ports" || { not_ok "fake Binance starts" "$(cat "$T/fake.err")"; finish; exit 1; }
read WS HTTP < "$T/ports"
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-binance.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
cat > "$T/quantd.d/binance.json" <<JSON
{"plugin": "binance", "instance": "binance",
 "symbols": ["BTC/USDT", "ETH/USDT"], "timeframes": ["1m"],
 "params": {"ws_url": "ws://127.0.0.1:$WS/ws", "rest_url": "http://127.0.0.1:$HTTP"}}
JSON
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
wait_for 10 log_has 'tag=binance msg="connected to'
end=$(($(date +%s) + ${QD_STORM_SECONDS:-120}))
cuts=0
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 2
	hold=0
	[ $(($(date +%s) % 60)) -ge 57 ] && hold=4
	curl -s -X POST "http://127.0.0.1:$HTTP/fake/drop?hold=$hold" > /dev/null && cuts=$((cuts + 1))
done
# Let the last cut heal and its backfill land.
sleep 3
stop_daemon
reconnects=$(grep -c 'tag=binance msg="connected to' "$T/quantd.log")
echo "# $cuts cuts, $reconnects connections"
backfills=$(grep -c 'msg="backfilled [1-9]' "$T/quantd.log")
[ "$backfills" -ge 1 ] && ok "missed minutes were backfilled over REST ($backfills times)" || not_ok "missed minutes were backfilled over REST"
[ "$reconnects" -ge $((cuts / 2)) ] && ok "reconnected after the cuts ($reconnects connections, $cuts cuts)" || not_ok "reconnected after the cuts" "$reconnects connections for $cuts cuts"
for sym in BTCUSDT:BTC/USDT ETHUSDT:ETH/USDT; do
	native=${sym%%:*} canon=${sym#*:}
	curl -s "http://127.0.0.1:$HTTP/fake/klines?symbol=$native" > "$T/fake.json"
	sqlite3 -separator ' ' "$T/var/quantd.db" "SELECT open_time, open, high, low, close, volume FROM candles WHERE exchange = 'binance' AND symbol = '$canon' AND timeframe = '1m' ORDER BY open_time" > "$T/stored.txt"
	out=$("$PY" - "$T/fake.json" "$T/stored.txt" <<'PY'
import json, sys
fake = {r[0]: r[1:6] for r in json.load(open(sys.argv[1]))}
rows = [l.split() for l in open(sys.argv[2])]
if len(rows) < 2:
    print("only %d candles stored" % len(rows)); sys.exit(1)
first, last = int(rows[0][0]), int(rows[-1][0])
stored = {int(r[0]): [float(x) for x in r[1:]] for r in rows}
missing = [t for t in fake if first <= t <= last and t not in stored]
differ = [t for t, v in stored.items()
          if t not in fake or any(abs(a - float("%.8f" % b)) > 1e-9 for a, b in zip(v, fake[t]))]
dup = len(rows) - len(stored)
print("%d candles %d..%d: %d missing, %d duplicated, %d differing" %
      (len(rows), first, last, len(missing), dup, len(differ)))
sys.exit(1 if missing or dup or differ else 0)
PY
)
	if [ $? -eq 0 ]; then ok "$canon: stored 1m candles are the fake's ($out)"; else not_ok "$canon: stored 1m candles are the fake's" "$out"; fi
done
finish
