#!/bin/sh
# kraken_klines.sh -- Kraken's ohlc channel has no "closed" flag: the
# adapter must make each minute's last update the closed 1m kline.  Against
# tests/fakes/fake_kraken.py, in the daemon: an outage across a minute
# boundary whose first backfill meets Kraken's HTTP-200 rate-limit answer
# (REST pauses instead of retrying or calling it malformed), and the 1m
# candles stored afterwards are exactly the fake's minutes: the one the
# reconnect's ohlc snapshot closes and the next, closed by the stream or
# the clock.  Up to two minutes: it waits for minutes to end.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
"$PY" "$QD_SRCDIR/tests/fakes/fake_kraken.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "fake kraken starts" "$(cat "$T/fake.err")"
	finish
	exit 1
fi
read WS HTTP < "$T/ports"

make_config
for f in ta exchange-kraken; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
cat > "$T/quantd.d/kraken.json" <<JSON
{"plugin": "kraken", "instance": "kraken",
 "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"ws_url": "ws://127.0.0.1:$WS/v2", "rest_url": "http://127.0.0.1:$HTTP"}}
JSON

start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "connects to the fake" wait_for 10 log_has 'tag=kraken msg="connected to ws://127.0.0.1'
start=$(date +%s)
minute=$((start / 60 * 60))
# Cut it until a second into the next minute: the minute streaming began
# is then a gap, backfilled over REST on the reconnect.
curl -s -X POST "http://127.0.0.1:$HTTP/fake/ratelimit?n=1" > /dev/null
curl -s -X POST "http://127.0.0.1:$HTTP/fake/drop?hold=$((minute + 61 - start))" > /dev/null
check "the cut is noticed" wait_for 10 log_has 'tag=kraken msg="connection lost'
check "an HTTP-200 rate-limit answer pauses REST" wait_for 90 log_has 'REST answered EGeneral:Too many requests: no REST call for 60 s'
# No REST call during the pause: nothing is backfilled within it (the
# range is held for its end).
sleep 5
check "and REST waits" sh -c "! grep -q 'tag=kraken msg=\"backfilled' '$T/quantd.log'"
if log_has 'skipped a malformed message (klines answer'; then
	not_ok "the rate-limit answer is not taken for a malformed one"
else
	ok "the rate-limit answer is not taken for a malformed one"
fi
# The minute the outage ended in is closed by the reconnect's snapshot (or
# the backfill), the next one by the stream or the clock.
q="SELECT count(*) FROM candles WHERE exchange = 'kraken' AND timeframe = '1m' AND open_time BETWEEN $((minute * 1000)) AND $((minute * 1000 + 60000))"
check "both minutes closed" wait_for 90 sh -c "[ \$(sqlite3 '$T/var/quantd.db' \"$q\" 2>/dev/null || echo 0) -eq 2 ]"
stats=$(ctl --json data stats)
case $stats in *'"klines":'[1-9]*) ok "data stats counts the venue's klines" ;;
	*) not_ok "data stats counts the venue's klines" "$stats" ;; esac
stop_daemon

curl -s "http://127.0.0.1:$HTTP/fake/klines?symbol=BTCUSDT" > "$T/fake.json"
sqlite3 -separator ' ' "$T/var/quantd.db" "SELECT open_time, open, high, low, close, volume FROM candles WHERE exchange = 'kraken' AND symbol = 'BTC/USDT' AND timeframe = '1m' AND open_time BETWEEN $((minute * 1000)) AND $((minute * 1000 + 60000)) ORDER BY open_time" > "$T/stored.txt"
out=$("$PY" - "$T/fake.json" "$T/stored.txt" <<'PY'
import json, sys
fake = {r[0]: r[1:] for r in json.load(open(sys.argv[1]))}
rows = [l.split() for l in open(sys.argv[2])]
bad = 0
for r in rows:
    t, v = int(r[0]), [float(x) for x in r[1:]]
    f = fake.get(t)
    if f is None or any(abs(a - b) > 1e-6 * max(1.0, abs(b))
                        for a, b in zip(v, f[:5])):
        print("minute", t, v, "differs from the fake's", f and f[:5])
        bad += 1
print("%d stored minutes checked" % len(rows))
sys.exit(1 if bad or len(rows) < 2 else 0)
PY
)
if [ $? -eq 0 ]; then ok "the stored 1m candles are the fake's minutes ($out)"; else not_ok "the stored 1m candles are the fake's minutes" "$out"; fi
finish
