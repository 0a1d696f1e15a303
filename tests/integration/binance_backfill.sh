#!/bin/sh
# quantctl data backfill through the daemon's binance instance against the
# fake's 1500 minutes of history: two REST pages of klines, the first
# answered 418 with Retry-After -- REST pauses for the time the venue names
# (not the 5 minutes assumed without one), sends nothing meanwhile, and
# then fetches the range it was asked for.  Every candle stored equals the
# fake's; a second run finds nothing missing and sends no request.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
FAKE_HISTORY_MIN=1500 "$PY" "$QD_SRCDIR/tests/fakes/fake_binance.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "fake binance starts" "$(cat "$T/fake.err")"
	finish
	exit 1
fi
read WS HTTP < "$T/ports"
make_config
for f in ta exchange-binance; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "flush_ms": 20},|' "$T/quantd.json"
cat > "$T/quantd.d/binance.json" <<JSON
{"plugin": "binance", "instance": "binance", "symbols": ["ETH/USDT"], "timeframes": ["1m"],
 "params": {"ws_url": "ws://127.0.0.1:$WS/ws", "rest_url": "http://127.0.0.1:$HTTP"}}
JSON
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "connects to the fake" wait_for 10 log_has 'tag=binance msg="connected to ws://127.0.0.1'
curl -s -X POST "http://127.0.0.1:$HTTP/fake/limit?status=418&retry_after=5&count=1" > /dev/null
from=$(( ($(date +%s) / 60 - 1500) * 60 ))
to=$(( $(date +%s) / 60 * 60 ))
out=$(ctl --json data backfill --exchange binance --symbol BTC/USDT --timeframe 1m --from "${from}000" --to "${to}000" 2>&1)
case $out in *'"ok":true,"fetched":1500,'*) ok "backfill fetches the 1500 missing candles" ;;
	*) not_ok "backfill fetches the 1500 missing candles" "$out" ;; esac
check "the 418 pauses REST for the Retry-After it names" log_has 'tag=binance msg="REST answered 418: no REST call for 5 s"'
curl -s "http://127.0.0.1:$HTTP/fake/rest_log" > "$T/rest.json"
out=$("$PY" - "$T/rest.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
ban = [t for t, st in log if st == 418]
if len(ban) != 1:
    print("418 answers:", len(ban)); sys.exit(1)
after = [t - ban[0] for t, st in log if t > ban[0]]
if not after:
    print("no request after the ban"); sys.exit(1)
print("first request %.1f s after the 418, %d requests" % (after[0], len(log)))
sys.exit(0 if after[0] >= 4.9 else 1)
PY
)
if [ $? -eq 0 ]; then ok "no REST request during the pause ($out)"; else not_ok "no REST request during the pause" "$out"; fi
n_before=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/rest.json")
out=$(ctl --json data backfill --exchange binance --symbol BTC/USDT --timeframe 1m --from "${from}000" --to "${to}000" 2>&1)
case $out in *'"ok":true,"fetched":0,'*) ok "a second run finds nothing missing" ;;
	*) not_ok "a second run finds nothing missing" "$out" ;; esac
n_after=$(curl -s "http://127.0.0.1:$HTTP/fake/rest_log" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "and sends no request" test "$n_before" -eq "$n_after"
out=$(ctl data backfill --exchange nosuch --symbol BTC/USDT --timeframe 1m --from "${from}000" --to "${to}000" 2>&1)
case $out in *"no such exchange instance"*) ok "an unknown exchange instance is named" ;;
	*) not_ok "an unknown exchange instance is named" "$out" ;; esac
check "the daemon is still serving" ctl plugin list
stop_daemon
curl -s "http://127.0.0.1:$HTTP/fake/klines?symbol=BTCUSDT" > "$T/fake.json"
sqlite3 -separator ' ' "$T/var/quantd.db" "SELECT open_time, open, high, low, close, volume FROM candles WHERE exchange = 'binance' AND symbol = 'BTC/USDT' AND timeframe = '1m' AND open_time >= ${from}000 AND open_time < ${to}000 ORDER BY open_time" > "$T/stored.txt"
out=$("$PY" - "$T/fake.json" "$T/stored.txt" "${from}000" "${to}000" <<'PY'
import json, sys
lo, hi = int(sys.argv[3]), int(sys.argv[4])
fake = {r[0]: r[1:6] for r in json.load(open(sys.argv[1])) if lo <= r[0] < hi}
rows = [l.split() for l in open(sys.argv[2])]
bad = 0
for r in rows:
    t = int(r[0]); vals = [float(x) for x in r[1:]]
    f = fake.get(t)
    if f is None or any(abs(a - b) > 1e-6 for a, b in zip(vals, f)):
        bad += 1
print("%d stored, %d in the fake's range, %d differ" % (len(rows), len(fake), bad))
sys.exit(1 if bad or len(rows) != len(fake) else 0)
PY
)
if [ $? -eq 0 ]; then ok "the stored candles are the fake's ($out)"; else not_ok "the stored candles are the fake's" "$out"; fi
finish
