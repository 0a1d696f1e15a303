#!/bin/sh
# exchange-replay plays recorded data as a live feed at N x speed: a
# candle file (1m bars, and the 5m bars built from them), a Binance
# aggTrades file (trades, and their 1m bars), and a range of the store;
# what reaches the store is what was recorded (recorded trades are old:
# the store keeps them, trades_retention_days 0).
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
make_config
for f in ta exchange-replay; do
	ln -s "$QD_BUILDDIR/lib/plugins/$f.so" "$T/plugins/"
done
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "trades": true, "trades_retention_days": 0, "flush_ms": 20},|' "$T/quantd.json"
# 60 one-minute candles (an hour: twelve 5m bars), and 400 trades over
# six minutes with a silent minute in the middle, as Binance writes them.
"$QUANTCTL" data synth --bars 60 --timeframe 1m --seed 5 > "$T/candles.csv"
"$PY" - "$T/trades.csv" <<'PY'
import random, sys
r = random.Random(3)
t0 = 1704067200000
rows, p, tid = [], 100.0, 5000
for i in range(400):
    t = t0 + i * 900
    if 180000 <= t - t0 < 240000:
        continue
    p = round(p * (1 + r.uniform(-1e-3, 1e-3)), 2)
    tid += 1
    rows.append("%d,%.2f,%.4f,%d,%d,%d,%s,True" % (tid, p, r.uniform(0.01, 2), tid, tid, t, "true" if r.random() < .5 else "false"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
cat > "$T/quantd.d/rc.json" <<JSON
{"plugin": "replay", "instance": "rc", "symbols": ["BTC/USDT"], "timeframes": ["1m", "5m"],
 "params": {"source": "file:$T/candles.csv", "symbol": "BTC/USDT", "speed": 3000}}
JSON
cat > "$T/quantd.d/rt.json" <<JSON
{"plugin": "replay", "instance": "rt", "symbols": ["ETH/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/trades.csv", "symbol": "ETH/USDT", "speed": 300}}
JSON
start_daemon || { not_ok "daemon starts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "the candle file is replayed" wait_for 15 log_has 'tag=rc msg="replay of file:.*candles.csv finished: 60 rows"'
check "the trade file is replayed" wait_for 15 log_has 'tag=rt msg="replay of file:.*trades.csv finished: 333 rows"'
sleep 1
stop_daemon
q() { sqlite3 -separator ' ' "$T/var/quantd.db" "$1"; }
q "SELECT open_time, open, high, low, close, volume FROM candles WHERE exchange = 'rc' AND timeframe = '1m' ORDER BY open_time" > "$T/rc1.txt"
q "SELECT open_time, open, high, low, close, volume FROM candles WHERE exchange = 'rc' AND timeframe = '5m' ORDER BY open_time" > "$T/rc5.txt"
q "SELECT trade_id, time, price, qty, side FROM trades WHERE exchange = 'rt' ORDER BY trade_id" > "$T/rt.txt"
q "SELECT open_time, open, high, low, close, volume FROM candles WHERE exchange = 'rt' AND timeframe = '1m' ORDER BY open_time" > "$T/rt1.txt"
out=$("$PY" - "$T" <<'PY'
import sys
d = sys.argv[1]
def rows(f):
    return [[float(x) for x in l.split()] for l in open(d + "/" + f)]
bad = []
src = [[float(x) for x in l.split(",")] for l in open(d + "/candles.csv").read().split("\n")[1:] if l]
if rows("rc1.txt") != [r[:6] for r in src]:
    bad.append("1m candles differ from the file")
five = []
for i in range(0, 60, 5):
    g = src[i:i + 5]
    five.append([g[0][0], g[0][1], max(r[2] for r in g), min(r[3] for r in g), g[-1][4], sum(r[5] for r in g)])
got5 = rows("rc5.txt")
if len(got5) != 12 or any(abs(a - b) > 1e-6 for x, y in zip(got5, five) for a, b in zip(x, y)):
    bad.append("5m bars are not the file's 1m bars re-aggregated (%d)" % len(got5))
tr = [l.split(",") for l in open(d + "/trades.csv").read().split("\n") if l]
want = [[float(t[0]), float(t[5]), float(t[1]), float(t[2]), 2.0 if t[6] == "true" else 1.0] for t in tr]
got = rows("rt.txt")
if len(got) != len(want) or any(abs(a - b) > 1e-6 for x, y in zip(got, want) for a, b in zip(x, y)):
    bad.append("stored trades differ from the file (%d of %d)" % (len(got), len(want)))
mins = {}
for t in want:
    m = int(t[1]) // 60000 * 60000
    b = mins.setdefault(m, [m, t[2], t[2], t[2], t[2], 0.0])
    b[2] = max(b[2], t[2]); b[3] = min(b[3], t[2]); b[4] = t[2]; b[5] += t[3]
ms = sorted(mins)
exp1 = []
for m in range(ms[0], ms[-1] + 60000, 60000):
    if m in mins:
        exp1.append(mins[m])
    else:
        c = exp1[-1][4]
        exp1.append([m, c, c, c, c, 0.0])
got1 = rows("rt1.txt")
if len(got1) != len(exp1) or any(abs(a - b) > 1e-6 for x, y in zip(got1, exp1) for a, b in zip(x, y)):
    bad.append("1m bars of the trades differ (%d vs %d)" % (len(got1), len(exp1)))
print("; ".join(bad) if bad else "60 candles, 12 5m bars, %d trades, %d 1m bars (one flat)" % (len(got), len(got1)))
sys.exit(1 if bad else 0)
PY
)
if [ $? -eq 0 ]; then ok "what was replayed is what was recorded ($out)"; else not_ok "what was replayed is what was recorded" "$out"; fi

# A range of the store, replayed as another feed.
rm "$T/quantd.d/rc.json" "$T/quantd.d/rt.json"
cat > "$T/quantd.d/rs.json" <<JSON
{"plugin": "replay", "instance": "rs", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"source": "store:rc:BTC/USDT:1m:1704067800000:1704069000000", "speed": 3000}}
JSON
start_daemon || { not_ok "daemon restarts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "a store range is replayed" wait_for 15 log_has 'tag=rs msg="replay of store:rc:BTC/USDT:1m:1704067800000:1704069000000 finished: 20 rows"'
sleep 1
stop_daemon
n=$(q "SELECT count(*) FROM candles c JOIN candles s ON s.open_time = c.open_time AND s.timeframe = c.timeframe AND s.symbol = c.symbol AND s.open = c.open AND s.close = c.close AND s.volume = c.volume WHERE c.exchange = 'rc' AND s.exchange = 'rs' AND c.timeframe = '1m'")
check "its 20 candles are the stored ones" test "$n" -eq 20
# The trade file looped: each pass follows the last in time (the minute
# after its last trade's), with its trade ids shifted past the last pass's.
rm "$T/quantd.d/rs.json"
cat > "$T/quantd.d/rl.json" <<JSON
{"plugin": "replay", "instance": "rl", "symbols": ["ETH/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/trades.csv", "symbol": "ETH/USDT", "speed": 600, "loop": true}}
JSON
start_daemon || { not_ok "daemon restarts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "the looped file is played three times" wait_for 30 sh -c "[ \$(grep -c 'tag=rl msg=\"replay of file:.*finished: [0-9]* rows; again from the start' '$T/quantd.log') -ge 3 ]"
sleep 1
stop_daemon
q "SELECT trade_id, time, price, qty, side FROM trades WHERE exchange = 'rl' ORDER BY trade_id" > "$T/rl.txt"
q "SELECT open_time FROM candles WHERE exchange = 'rl' AND timeframe = '1m' ORDER BY open_time" > "$T/rl1.txt"
out=$("$PY" - "$T" <<'PY'
import sys
d = sys.argv[1]
rows = [[float(x) for x in l.split()] for l in open(d + "/rl.txt")]
src = [l.split(",") for l in open(d + "/trades.csv").read().split("\n") if l]
ids = [int(t[0]) for t in src]
span = max(ids)
bad = []
if len(set(r[0] for r in rows)) != len(rows):
    bad.append("a trade id stored twice")
times = [r[1] for r in rows]
if times != sorted(times):
    bad.append("times do not rise with the trade ids")
by = {int(r[0]): r for r in rows}
first, last = int(src[0][5]), int(src[-1][5])
shift = 0
for k in (1, 2):
    shift = (last + shift) // 60000 * 60000 + 60000 - first // 60000 * 60000
    for t in src:
        r = by.get(int(t[0]) + k * span)
        if r is None:
            bad.append("pass %d: trade %s missing" % (k + 1, t[0]))
            break
        if r[1] != int(t[5]) + shift or abs(r[2] - float(t[1])) > 1e-9 or abs(r[3] - float(t[2])) > 1e-9:
            bad.append("pass %d: trade %s is %r, not the recorded one %d ms later" % (k + 1, t[0], r, shift))
            break
mins = [int(float(l)) for l in open(d + "/rl1.txt")]
if mins != sorted(set(mins)) or any(b - a != 60000 for a, b in zip(mins, mins[1:])):
    bad.append("the 1m bars are not one a minute, rising")
print("; ".join(bad) if bad else "%d trades, %d 1m bars over the passes" % (len(rows), len(mins)))
sys.exit(1 if bad else 0)
PY
)
if [ $? -eq 0 ]; then ok "each pass follows the last, its trades the recorded ones moved on whole minutes ($out)"; else not_ok "each pass follows the last, its trades the recorded ones moved on whole minutes" "$out"; fi
rm "$T/quantd.d/rl.json"
cat > "$T/quantd.d/bad.json" <<JSON
{"plugin": "replay", "instance": "bad", "params": {"source": "file:$T/nope.csv", "symbol": "BTC/USDT"}}
JSON
start_daemon || { not_ok "daemon restarts" "$(tail -5 "$T/quantd.log")"; finish; exit 1; }
check "a missing file fails the instance, named" wait_for 5 log_has "tag=bad msg=\"history: .*nope.csv"
stop_daemon
finish
