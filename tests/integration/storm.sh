#!/bin/sh
# Disconnect storm, all five venues at once: one daemon with an instance
# per venue, each against its loopback fake.  Every fake cuts every
# connection every 2 s for 2 minutes while it trades -- and around each
# minute boundary refuses connections for 4 s, so the closing klines are
# missed live and must come from the REST backfill (Coinbase: its polled
# REST candles; Kraken: its ohlc snapshot and REST).  Afterwards the 1m
# candles quantd stored for each venue are that fake's own, minute for
# minute: none missing, none twice, none different; and a strategy on each
# venue saw its trades throughout.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
VENUES="binance bybit okx coinbase kraken"
PIDS=
trap 'kill $PIDS 2>/dev/null; cleanup' EXIT
for v in $VENUES; do
	"$PY" "$QD_SRCDIR/tests/fakes/fake_$v.py" "$T/ports.$v" 2> "$T/fake.$v.err" &
	PIDS="$PIDS $!"
done
make_config
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
for v in $VENUES; do
	wait_for 10 test -s "$T/ports.$v" || { not_ok "fake $v starts" "$(cat "$T/fake.$v.err")"; finish; exit 1; }
	read WS HTTP < "$T/ports.$v"
	eval "HTTP_$v=$HTTP"
	ln -s "$QD_BUILDDIR/lib/plugins/exchange-$v.so" "$T/plugins/"
	[ -e "$T/plugins/tp-latency.so" ] || ln -s "$TP/tp-latency.so" "$T/plugins/"
	case $v in
	binance) ws="ws://127.0.0.1:$WS/ws" ;;
	bybit) ws="ws://127.0.0.1:$WS/v5/public/spot" ;;
	okx) ws="ws://127.0.0.1:$WS/ws/v5/public\", \"ws_business_url\": \"ws://127.0.0.1:$WS/ws/v5/business" ;;
	coinbase) ws="ws://127.0.0.1:$WS" ;;
	kraken) ws="ws://127.0.0.1:$WS/v2" ;;
	esac
	# A strategy on each venue's trades (it reports how many it saw).
	echo "{\"plugin\": \"tp-latency\", \"instance\": \"lat-$v\", \"exchange\": \"$v\"}" > "$T/quantd.d/lat-$v.json"
	cat > "$T/quantd.d/$v.json" <<JSON
{"plugin": "$v", "instance": "$v",
 "symbols": ["BTC/USDT", "ETH/USDT"], "timeframes": ["1m"],
 "params": {"ws_url": "$ws", "rest_url": "http://127.0.0.1:$HTTP"}}
JSON
done
started=$(date +%s)
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
for v in $VENUES; do
	wait_for 10 log_has "tag=$v msg=\"connected to"
done
end=$(($(date +%s) + ${QD_STORM_SECONDS:-120}))
cuts=0
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 2
	hold=0
	[ $(($(date +%s) % 60)) -ge 57 ] && hold=4
	curls=
	for v in $VENUES; do
		eval "HTTP=\$HTTP_$v"
		curl -s -X POST "http://127.0.0.1:$HTTP/fake/drop?hold=$hold" > /dev/null &
		curls="$curls $!"
	done
	wait $curls
	cuts=$((cuts + 1))
done
# Let the last cut heal, and every venue's closing minute and its
# backfill (Coinbase polls 2 s after a minute, Kraken closes 5 s after).
sleep 10
stopped=$(date +%s)
stop_daemon
# The minutes that must be stored: from the one streaming began in to the
# last that ended 8 s before the stop (Kraken closes a minute 5 s after
# it, Coinbase polls it 2 s after).
want_first=$((started / 60 * 60000))
want_last=$(((stopped - 8) / 60 * 60000 - 60000))
echo "# $cuts cuts of every venue's connections"
for v in $VENUES; do
	eval "HTTP=\$HTTP_$v"
	seen=$(sed -n "s/.*tag=lat-$v msg=\"latency n=\([0-9]*\) .*/\1/p" "$T/quantd.log")
	made=$(curl -s "http://127.0.0.1:$HTTP/fake/trades?symbol=BTCUSDT" | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))')
	# Its own venue's only: no more than that fake made (the others'
	# BTC/USDT trades are other markets).
	[ "${seen:-0}" -gt 100 ] && [ "${seen:-0}" -le "$made" ] && ok "$v trades reached its strategy, none of another venue ($seen of the $made the fake made)" || not_ok "$v trades reached its strategy, none of another venue" "${seen:-none} of $made"
	reconnects=$(grep -c "tag=$v msg=\"connected to" "$T/quantd.log")
	[ "$reconnects" -ge $((cuts / 2)) ] && ok "$v reconnected after the cuts ($reconnects connections, $cuts cuts)" || not_ok "$v reconnected after the cuts" "$reconnects connections for $cuts cuts"
	for sym in BTCUSDT:BTC/USDT ETHUSDT:ETH/USDT; do
		native=${sym%%:*} canon=${sym#*:}
		curl -s "http://127.0.0.1:$HTTP/fake/klines?symbol=$native" > "$T/fake.json"
		sqlite3 -separator ' ' "$T/var/quantd.db" "SELECT open_time, open, high, low, close, volume FROM candles WHERE exchange = '$v' AND symbol = '$canon' AND timeframe = '1m' ORDER BY open_time" > "$T/stored.txt"
		out=$("$PY" - "$T/fake.json" "$T/stored.txt" "$want_first" "$want_last" <<'PY'
import json, sys
fake = {r[0]: r[1:6] for r in json.load(open(sys.argv[1]))}
rows = [l.split() for l in open(sys.argv[2])]
if not rows:
    print("no candles stored"); sys.exit(1)
first, last = int(rows[0][0]), int(rows[-1][0])
if first > int(sys.argv[3]) or last < int(sys.argv[4]):
    print("stored %d..%d, not all of %s..%s" % (first, last, sys.argv[3], sys.argv[4]))
    sys.exit(1)
stored = {int(r[0]): [float(x) for x in r[1:]] for r in rows}
missing = [t for t in fake if first <= t <= last and t not in stored]
differ = [t for t, v in stored.items()
          if t not in fake or any(abs(a - float("%.8f" % b)) > 1e-9 * max(1.0, abs(b)) for a, b in zip(v, fake[t]))]
dup = len(rows) - len(stored)
print("%d candles %d..%d: %d missing, %d duplicated, %d differing" %
      (len(rows), first, last, len(missing), dup, len(differ)))
sys.exit(1 if missing or dup or differ else 0)
PY
)
		if [ $? -eq 0 ]; then ok "$v $canon: stored 1m candles are the fake's ($out)"; else not_ok "$v $canon: stored 1m candles are the fake's" "$out"; fi
	done
done
backfills=$(grep -c 'msg="backfilled [1-9]' "$T/quantd.log")
[ "$backfills" -ge 1 ] && ok "missed minutes were backfilled over REST ($backfills times)" || not_ok "missed minutes were backfilled over REST"
finish
