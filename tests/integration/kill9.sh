#!/bin/sh
# kill -9: a strategy trading on every trade of a replayed feed, the daemon
# killed with SIGKILL at KILLS random moments (100 by default) and started
# again each time.  Afterwards, from the store: every order's fills add up
# to its filled quantity (none applied twice, none beyond the order), no
# order is left CREATED (written but never sent), every ledger transaction
# balances and every asset sums to zero over all accounts, and the
# account's balances are exactly its deposit plus what its fills and fees
# say -- the paper venue's record.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KILLS=${KILLS:-100}
export KILLS   # the checks below scale with it
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-replay.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "enabled": false},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
replay_trades "$T/trades.csv" 11
cat > "$T/quantd.d/feed.json" <<JSON
{"plugin": "replay", "instance": "feed", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "params": {"source": "file:$T/trades.csv", "symbol": "BTC/USDT", "speed": 20, "loop": true}}
JSON
cat > "$T/quantd.d/storm.json" <<JSON
{"plugin": "tp-storm", "instance": "storm", "exchange": "feed",
 "account": {"balance": 1000000, "quote": "USDT"}, "params": {"seed": 7}}
JSON

kill_loop "$KILLS" 0.05 0.9
check "the daemon started after each of $KILLS kills" test "$kl_started" -eq "$KILLS"
start_fresh || not_ok "the daemon starts after the last kill"
sleep 2
check "the restarted daemon reports the books reconciled" sh -c "'$QUANTCTL' -c '$T/quantd.json' --json accounts | grep -q '\"reconciled\":true'"
stop_daemon
check "no order refused for a reason other than risk and funds" sh -c "! grep 'order refused' '$T/quantd.log' | grep -v 'insufficient\|no price' | grep -q ."
check "no journal failure" sh -c "! grep -q 'tag=journal' '$T/quantd.log'"
out=$("$PY" - "$T/var/quantd.db" <<'PY'
import sqlite3, sys
from decimal import Decimal as D, ROUND_HALF_UP
from fractions import Fraction
db = sqlite3.connect(sys.argv[1])
bad = []
orders = db.execute("SELECT id, state, qty, filled, side, client_id FROM orders").fetchall()
fills = db.execute("SELECT order_id, trade_id, qty, price, fee, side FROM fills ORDER BY ts_ms, order_id").fetchall()
sums = {}
for f in fills:
    sums[f[0]] = sums.get(f[0], D(0)) + D(f[2])
for o in orders:
    got = sums.get(o[0], D(0))
    if got != D(o[3]):
        bad.append("order %d: fills add up to %s, filled says %s" % (o[0], got, o[3]))
    if D(o[3]) > D(o[2]):
        bad.append("order %d filled beyond its quantity" % o[0])
    if o[1] == 4 and D(o[3]) != D(o[2]):
        bad.append("order %d FILLED with %s of %s" % (o[0], o[3], o[2]))
    if o[1] == 1:
        bad.append("order %d still CREATED" % o[0])
if len({o[5] for o in orders}) != len(orders):
    bad.append("a client id is used twice")
for oid in sums:
    if oid not in {o[0] for o in orders}:
        bad.append("fills of an unknown order %d" % oid)
# Every transaction balances; every asset sums to zero.
tx, assets, bal = {}, {}, {}
for txn, acct, asset, amt in db.execute("SELECT txn, account, asset, amount FROM ledger_postings"):
    tx[(txn, asset)] = tx.get((txn, asset), D(0)) + D(amt)
    assets[asset] = assets.get(asset, D(0)) + D(amt)
    bal[(acct, asset)] = bal.get((acct, asset), D(0)) + D(amt)
bad += ["transaction %d does not balance in %s" % k for k, v in tx.items() if v != 0]
bad += ["%s sums to %s" % (a, v) for a, v in assets.items() if v != 0]
# The account from its fills alone.
unit = D("0.00000001")
usdt, btc = D(1000000), D(0)
for f in fills:
    q = D(f[2]); n = Fraction(q) * Fraction(float(f[3]))
    n = D(n.numerator) / D(n.denominator)
    n = n.quantize(unit, rounding=ROUND_HALF_UP)
    if f[5] == 1:
        usdt -= n; btc += q
    else:
        usdt += n; btc -= q
    usdt -= D(f[4])
if bal.get(("paper:storm", "USDT"), D(0)) != usdt:
    bad.append("USDT balance %s, fills say %s" % (bal.get(("paper:storm", "USDT")), usdt))
if bal.get(("paper:storm", "BTC"), D(0)) != btc:
    bad.append("BTC balance %s, fills say %s" % (bal.get(("paper:storm", "BTC")), btc))
filled = sum(1 for o in orders if o[1] == 4)
print("; ".join(bad[:5]) if bad else "%d orders (%d filled), %d fills, %d ledger transactions, USDT %s, BTC %s" % (len(orders), filled, len(fills), len({t for t, _ in tx}), usdt, btc))
sys.exit(1 if bad or filled < min(100, 2 * int(__import__("os").environ["KILLS"])) else 0)
PY
)
if [ $? -eq 0 ]; then ok "the books reconcile exactly with the fills after $KILLS kills ($out)"; else not_ok "the books reconcile exactly with the fills after $KILLS kills" "$out"; fi
finish
