#!/bin/sh
# The coinbase adapter in the daemon against tests/fakes/fake_coinbase.py
# (see venue_daemon.sh for what is checked; BTC-USDT and ETH-USDT are
# products the venue lists).
VENUE=coinbase FAKE_PY=fake_coinbase.py WS_PATH=
. "$QD_SRCDIR/tests/integration/venue_daemon.sh"

# What is Coinbase's own, from the same run: the sequence_num jump past the
# malformed message, and heartbeats subscribed in time (the fake, like the
# venue, closes a connection without a subscribe within 5 s); the SPOT
# product list asked at start and taken whole.
check "a jump in sequence_num is logged" log_has "tag=$VENUE msg=\"sequence gap on"
check "no connection closed for want of a subscribe" sh -c "! grep -q 'no subscribe within' '$T/quantd.log'"
check "the product list is asked" grep -q '^products$' "$T/fake.err"
check "and taken" log_has 'msg="instrument list: 2 instruments'
check "and not refused" sh -c "! grep -q 'product list refused' '$T/quantd.log'"

# No 1m kline stream: the closed 1m candles are polled over REST once a
# minute, and they are the 1m bars stored, exactly as the fake made them.
q1m="FROM candles WHERE exchange = '$VENUE' AND symbol = 'BTC/USDT' AND timeframe = '1m'"
start_daemon || { not_ok "daemon restarts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "the closed 1m candles are asked over REST" wait_for 70 grep -q 'candles BTC-USDT' "$T/fake.err"
check "and stored" wait_for 10 sh -c "[ \$(sqlite3 '$T/var/quantd.db' \"SELECT count(*) $q1m\") -gt 0 ]"
# A stalled stream: open, but silent (no heartbeat either) -- noticed
# after the venue's 15 s of silence, reopened, streaming again after it.
n=$(grep -c "tag=$VENUE msg=\"connected to" "$T/quantd.log")
curl -s -X POST "http://127.0.0.1:$HTTP/fake/stall?s=20" > /dev/null
check "a stalled stream is noticed" wait_for 30 log_has "tag=$VENUE msg=\"no message on .* the stream stalled; reconnecting"
check "and reopened" wait_for 30 sh -c "[ \$(grep -c 'tag=$VENUE msg=\"connected to' '$T/quantd.log') -gt $n ]"
stop_daemon
curl -s "http://127.0.0.1:$HTTP/fake/klines?symbol=BTCUSDT" > "$T/fake_klines.json"
sqlite3 -separator ' ' "$T/var/quantd.db" "SELECT open_time, open, high, low, close, volume $q1m ORDER BY open_time" > "$T/stored_1m.txt"
out=$("$PY" - "$T/fake_klines.json" "$T/stored_1m.txt" <<'PY'
import json, sys
fake = {k[0]: k for k in json.load(open(sys.argv[1]))}
rows = [l.split() for l in open(sys.argv[2])]
bad = 0
for r in rows:
    f = fake.get(int(r[0]))
    if f is None or any(abs(float(x) - y) > 1e-9 * max(1.0, abs(y))
                        for x, y in zip(r[1:], f[1:6])):
        print("1m candle", r, "differs from the fake's", f); bad += 1
print("%d stored 1m candles checked" % len(rows))
sys.exit(1 if bad or not rows else 0)
PY
)
if [ $? -eq 0 ]; then ok "stored 1m candles are the fake's ($out)"; else not_ok "stored 1m candles are the fake's" "$out"; fi
finish
