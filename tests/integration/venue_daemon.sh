# venue_daemon.sh -- sourced by NAME_daemon.sh after setting VENUE (the
# plugin and instance name, e.g. binance), FAKE_PY (tests/fakes/fake_*.py)
# and WS_PATH (the WebSocket path on the fake); TRUST=sandboxed runs the
# adapter in a sandbox child; a venue with a second
# WebSocket also sets WS2_PARAM (its URL parameter) and WS2_PATH (its path
# on the fake's port), and WS_LINKS=2 (connections opened at a time).
# A venue's own checks go in a function venue_checks, run while the daemon
# still serves (the stored trades are checked after them).
#
# The adapter in the daemon against its loopback fake, reached through the
# base URLs a user sets: trades stream into the bus and the store exactly
# as the fake made them, a cut connection is reopened and streams again,
# malformed messages are skipped, and nothing is stored twice.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
"$PY" "$QD_SRCDIR/tests/fakes/$FAKE_PY" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
if ! wait_for 10 test -s "$T/ports"; then
	not_ok "fake $VENUE starts" "$(cat "$T/fake.err")"
	finish
	exit 1
fi
read WS HTTP < "$T/ports"

WS_LINKS=${WS_LINKS:-1}
WS2=
[ -n "${WS2_PARAM:-}" ] && WS2=", \"$WS2_PARAM\": \"ws://127.0.0.1:$WS$WS2_PATH\""

make_config
for f in ta exchange-$VENUE; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "trades": true, "flush_ms": 20},|' "$T/quantd.json"
cat > "$T/quantd.d/$VENUE.json" <<JSON
{"plugin": "$VENUE", "instance": "$VENUE", "trust": "${TRUST:-trusted}",
 "symbols": ["BTC/USDT", "ETH/USDT"], "timeframes": ["1m"],
 "params": {"ws_url": "ws://127.0.0.1:$WS$WS_PATH", "rest_url": "http://127.0.0.1:$HTTP"$WS2}}
JSON

start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "connects to the fake" wait_for 10 log_has "tag=$VENUE msg=\"connected to ws://127.0.0.1"
stored() { sqlite3 "$T/var/quantd.db" "SELECT count(*) FROM trades WHERE symbol = '$1'" 2>/dev/null || echo 0; }
check "trades are stored" wait_for 10 sh -c "[ \$(sqlite3 '$T/var/quantd.db' \"SELECT count(*) FROM trades WHERE symbol = 'BTC/USDT'\" 2>/dev/null || echo 0) -gt 20 ]"
# The venue's instrument list: the host keeps the subscribed symbols'.
check "the host keeps the instrument of BTC/USDT" wait_for 15 sh -c "\"$QUANTCTL\" -c '$T/quantd.json' --json market instruments --exchange $VENUE --symbol BTC/USDT | grep -q '\"symbol\":\"BTC/USDT\".*\"tick\":\"[0-9.]*\",\"lot\":\"[0-9.]*\"'"
ctl --json market watch --exchange "$VENUE" --symbol BTC/USDT --count 10 --seconds 20 > "$T/watch.txt" 2>&1
n=$(grep -c "\"type\":\"trade\",\"exchange\":\"$VENUE\",\"symbol\":\"BTC/USDT\",\"ts\":[0-9]*,\"price\":" "$T/watch.txt")
# (a candle closing in the window is printed too: count the trades)
if [ "$n" -ge 5 ]; then ok "market watch prints its live trades"; else not_ok "market watch prints its live trades" "$(head -3 "$T/watch.txt")"; fi
ctl --json market watch --exchange "$VENUE" --symbol BTC/USDT --partial --count 40 --seconds 10 > "$T/watch.txt" 2>&1
if grep -q '"type":"partial","exchange":"'"$VENUE"'","symbol":"BTC/USDT","timeframe":"1m"' "$T/watch.txt"; then ok "and, asked, the open candles as they change"; else not_ok "and, asked, the open candles as they change" "$(head -3 "$T/watch.txt")"; fi
curl -s -X POST "http://127.0.0.1:$HTTP/fake/garbage" > /dev/null
check "malformed messages are skipped and logged" wait_for 5 log_has 'skipped a malformed message'
before=$(stored BTC/USDT)
curl -s -X POST "http://127.0.0.1:$HTTP/fake/drop" > /dev/null
check "a cut connection is noticed" wait_for 10 log_has "tag=$VENUE msg=\"connection lost"
check "and reopened" wait_for 70 sh -c "[ \$(grep -c 'tag=$VENUE msg=\"connected to' '$T/quantd.log') -ge $((2 * WS_LINKS)) ]"
check "trades flow again after the reconnect" wait_for 10 sh -c "[ \$(sqlite3 '$T/var/quantd.db' \"SELECT count(*) FROM trades WHERE symbol = 'BTC/USDT'\") -gt $((before + 20)) ]"
check "the daemon is still serving" ctl plugin list
stats=$(ctl --json data stats)
case $stats in *'"candles":{"trades":'[1-9]*) ok "data stats counts the aggregated trades" ;;
	*) not_ok "data stats counts the aggregated trades" "$stats" ;; esac
if type venue_checks > /dev/null 2>&1; then venue_checks; fi
stop_daemon

# Every stored trade is one the fake made, with its price, quantity and
# taker side; none twice.
curl -s "http://127.0.0.1:$HTTP/fake/trades?symbol=BTCUSDT" > "$T/fake.json"
sqlite3 -separator ' ' "$T/var/quantd.db" "SELECT trade_id, time, price, qty, side FROM trades WHERE exchange = '$VENUE' AND symbol = 'BTC/USDT' ORDER BY trade_id" > "$T/stored.txt"
out=$("$PY" - "$T/fake.json" "$T/stored.txt" <<'PY'
import json, sys
fake = {t[0]: t for t in json.load(open(sys.argv[1]))}
bad = 0
rows = [l.split() for l in open(sys.argv[2])]
ids = [int(r[0]) for r in rows]
if len(ids) != len(set(ids)):
    print("duplicate trade ids"); bad += 1
for r in rows:
    tid, ts, price, qty, side = int(r[0]), int(r[1]), float(r[2]), float(r[3]), int(r[4])
    f = fake.get(tid)
    want_side = 2 if f and f[4] else 1
    if f is None or f[1] != ts or abs(f[2] - price) > 1e-9 or abs(f[3] - qty) > 1e-12 or side != want_side:
        print("trade", r, "differs from the fake's", f); bad += 1
        if bad > 5: break
print("%d stored trades checked" % len(rows))
sys.exit(1 if bad or not rows else 0)
PY
)
if [ $? -eq 0 ]; then ok "stored trades are the fake's, none twice ($out)"; else not_ok "stored trades are the fake's, none twice" "$out"; fi
finish
