#!/bin/sh
# kill -9 through the coinbase adapter against tests/fakes/fake_coinbase.py,
# a venue that outlives quantd (the approach of kill9_venue.sh): the storm
# strategy trades a live account on the adapter's own market data, and the
# daemon is killed with SIGKILL at KILLS random moments (10 by default),
# started again each time.  Afterwards, the venue's record against ours:
# every order at the venue is one we wrote ahead, each client id was taken
# once, its fills are our fills exactly, each order's state is the venue's,
# and the ledger holds what the venue's balances say.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KILLS=${KILLS:-10}
export KILLS   # the checks below scale with it
KEY_NAME=organizations/0f0e0d0c/apiKeys/storm
"$PY" - "$T/key.pem" <<'PY'
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
k = ec.generate_private_key(ec.SECP256R1())
open(sys.argv[1], "wb").write(k.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption()))
PY
FAKE_CB_KEY=$T/key.pem FAKE_CB_KEY_NAME=$KEY_NAME FAKE_CB_BALANCES=USDT=10000000,BTC=100 \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_coinbase.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/ports" || { not_ok "the fake starts" "$(cat "$T/fake.err")"; finish; exit 1; }
read WS HTTP < "$T/ports"
F=http://127.0.0.1:$HTTP
curl -s -X POST "$F/fake/partial?steps=2" > /dev/null
# Slow acknowledgements: kills land between an order sent and its answer.
curl -s -X POST "$F/fake/ack_delay?ms=150" > /dev/null
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-coinbase.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "enabled": false},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
export CB_KEY_NAME=$KEY_NAME
cat > "$T/quantd.d/cb.json" <<JSON
{"plugin": "coinbase", "instance": "cb", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:CB_KEY_NAME", "private_key": "file:$T/key.pem"},
 "params": {"ws_url": "ws://127.0.0.1:$WS", "rest_url": "http://127.0.0.1:$HTTP",
            "trade_url": "http://127.0.0.1:$HTTP", "user_ws_url": "ws://127.0.0.1:$WS"}}
JSON
cat > "$T/quantd.d/storm.json" <<JSON
{"plugin": "tp-storm", "instance": "storm", "exchange": "cb",
 "account": {"id": "live:storm", "venue": "cb", "balance": 10000000, "quote": "USDT"},
 "params": {"seed": 9, "every": 20}}
JSON

kill_loop "$KILLS" 1.0 3.0
check "the daemon started after each of $KILLS kills" test "$kl_started" -eq "$KILLS"
# The last run has no strategy: its account and open orders come back
# from the store and are reconciled with the venue.
rm "$T/quantd.d/storm.json"
start_fresh || not_ok "the daemon starts after the last kill"
sleep 1
settle_venue "$F" OPEN || echo "# the open orders did not settle in 30 s"
quiesce_venue "$F" OPEN || echo "# orders were still open after the cancels"
stop_daemon
curl -s "$F/fake/record" > "$T/record.json"
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
ours = {r[0]: r for r in db.execute("SELECT client_id, id, state, qty, filled, venue_order_id FROM orders")}
vo = {}
for o in rec["orders"]:
    if o["client_id"] in vo:
        bad.append("the venue took %s twice" % o["client_id"])
    vo[o["client_id"]] = o
for cid in vo:
    if cid not in ours:
        bad.append("the venue has %s, which we never wrote" % cid)
vfills = {f["trade_id"]: f for f in rec["fills"]}
our_fills = {r[1]: r for r in db.execute("SELECT order_id, trade_id, qty, price, fee, side FROM fills")}
if set(vfills) != set(our_fills):
    bad.append("fills differ: %d at the venue, %d ours, %d missing, %d extra" % (len(vfills), len(our_fills), len(set(vfills) - set(our_fills)), len(set(our_fills) - set(vfills))))
for t, f in vfills.items():
    o = our_fills.get(t)
    if o and (D(o[2]) != D(f["qty"]) or D(o[3]) != D(f["price"]) or D(o[4]) != D(f["fee"])):
        bad.append("fill %s: %s here, %s there" % (t, o[2:5], (f["qty"], f["price"], f["fee"])))
names = {1: "created", 2: "pending", 3: "partial", 4: "filled", 5: "canceled", 6: "rejected", 7: "expired"}
for cid, o in ours.items():
    v = vo.get(cid)
    st = names[o[2]]
    if st == "created":
        bad.append("%s still CREATED" % cid)
    if v is None:
        held = o[5] == "host" and st == "pending"   # a stop the host holds
        if st not in ("rejected", "canceled") and not held:
            bad.append("%s is %s here, unknown at the venue" % (cid, st))
        continue
    want = {"OPEN": ("pending", "partial"), "FILLED": ("filled",), "CANCELLED": ("canceled",), "EXPIRED": ("expired",)}[v["status"]]
    if st not in want:
        bad.append("%s: %s here, %s at the venue" % (cid, st, v["status"]))
    if D(o[4]) != D(v["filled"]):
        bad.append("%s: filled %s here, %s at the venue" % (cid, o[4], v["filled"]))
bal = {}
for acct, asset, amt in db.execute("SELECT account, asset, amount FROM ledger_postings"):
    bal[(acct, asset)] = bal.get((acct, asset), D(0)) + D(amt)
tot = {}
for (a, s), v in bal.items():
    tot[s] = tot.get(s, D(0)) + v
bad += ["%s sums to %s" % (s, v) for s, v in tot.items() if v != 0]
# The venue books each fill's notional in decimal, the host from its
# double price: a unit of the last place each at most.
for asset in ("USDT", "BTC"):
    have, want = bal.get(("live:storm", asset), D(0)), D(rec["balances"][asset])
    if abs(have - want) > D("0.00000001") * (len(vfills) + 1):
        bad.append("%s: %s in the ledger, %s at the venue" % (asset, have, want))
print("; ".join(bad[:6]) if bad else "%d orders at the venue (%d duplicates answered there), %d fills, balances %s" % (len(vo), rec["refused"]["duplicate"], len(vfills), rec["balances"]))
sys.exit(1 if bad or len(vfills) < min(10, int(__import__("os").environ["KILLS"])) else 0)
PY
)
if [ $? -eq 0 ]; then ok "the venue's record and ours agree after $KILLS kills ($out)"; else not_ok "the venue's record and ours agree after $KILLS kills" "$out"; fi
finish
