#!/bin/sh
# kill -9 through the bybit adapter against tests/fakes/fake_bybit.py, a
# venue that outlives quantd (the approach of kill9_venue.sh): the storm
# strategy trades a live account on the adapter's own market data and the
# daemon is killed with SIGKILL at KILLS random moments (10 by default),
# started again each time; restarts resume the fills from the point the
# adapter saved.  Afterwards, the venue's record against ours: every order
# at the venue is one we wrote ahead, the venue took each client id once,
# its fills are our fills exactly, each order's state is the venue's, and
# the ledger holds exactly what the venue's fills and fees say.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KILLS=${KILLS:-10}
export KILLS   # the checks below scale with it
KEY=by-kill-key
FAKE_BYBIT_KEY=$KEY FAKE_BYBIT_SECRET=by-kill-secret FAKE_BYBIT_FEE=quote \
FAKE_BYBIT_BALANCES="USDT=1000000,BTC=10" \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_bybit.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/ports" || { not_ok "the fake venue starts" "$(cat "$T/fake.err")"; finish; exit 1; }
read WS HTTP < "$T/ports"
export BY_KEY=$KEY BY_SECRET=by-kill-secret
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-bybit.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "enabled": false},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
cat > "$T/quantd.d/bybit.json" <<JSON
{"plugin": "bybit", "instance": "bybit", "symbols": ["BTC/USDT"],
 "secrets": {"api_key": "env:BY_KEY", "api_secret": "env:BY_SECRET"},
 "params": {"ws_url": "ws://127.0.0.1:$WS/v5/public/spot", "rest_url": "http://127.0.0.1:$HTTP",
            "private_ws_url": "ws://127.0.0.1:$WS/v5/private"}}
JSON
cat > "$T/quantd.d/storm.json" <<JSON
{"plugin": "tp-storm", "instance": "storm", "exchange": "bybit",
 "account": {"id": "live:storm", "venue": "bybit", "balance": 1000000, "quote": "USDT"},
 "params": {"seed": 9, "every": 10}}
JSON

kill_loop "$KILLS" 0.5 2.0
check "the daemon started after each of $KILLS kills" test "$kl_started" -eq "$KILLS"
# The last run has no strategy: its account and open orders come back
# from the store and are reconciled with the venue (see kill9_venue.sh).
rm "$T/quantd.d/storm.json"
start_fresh || not_ok "the daemon starts after the last kill"
sleep 1
settle_venue "http://127.0.0.1:$HTTP" New,PartiallyFilled || echo "# the open orders did not settle in 30 s"
quiesce_venue "http://127.0.0.1:$HTTP" New,PartiallyFilled || echo "# orders were still open after the cancels"
stop_daemon
check "restarts resume the fills where the last run left them" log_has 'tag=bybit msg="fills reconciled from [0-9]* (the last one reported before)"'
curl -s "http://127.0.0.1:$HTTP/fake/record" > "$T/record.json"
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
ours = {r[0]: r for r in db.execute("SELECT client_id, id, state, qty, filled, venue_order_id FROM orders")}
vo = {o["client_id"]: o for o in rec["orders"]}
for cid in vo:
    if cid not in ours:
        bad.append("the venue has %s, which we never wrote" % cid)
vfills = {f["id"]: f for f in rec["fills"]}
our_fills = {r[1]: r for r in db.execute("SELECT order_id, trade_id, qty, price, fee, side FROM fills")}
if set(vfills) != set(our_fills):
    bad.append("fills differ: %d at the venue, %d ours, %d missing, %d extra" % (len(vfills), len(our_fills), len(set(vfills) - set(our_fills)), len(set(our_fills) - set(vfills))))
for tid, f in vfills.items():
    o = our_fills.get(tid)
    if o and (D(str(o[2])) != D(f["qty"]) or D(str(o[4])) != D(f["fee_quote"])):
        bad.append("fill %s: %s fee %s here, %s fee %s at the venue" % (tid, o[2], o[4], f["qty"], f["fee_quote"]))
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
    want = {"New": ("pending",), "PartiallyFilled": ("partial", "pending"), "Filled": ("filled",),
            "Cancelled": ("canceled", "expired"), "PartiallyFilledCanceled": ("canceled", "expired")}[v["status"]]
    if st not in want:
        bad.append("%s: %s here, %s at the venue" % (cid, st, v["status"]))
    if D(str(o[4])) != D(v["filled"]):
        bad.append("%s: filled %s here, %s at the venue" % (cid, o[4], v["filled"]))
bal = {}
for acct, asset, amt in db.execute("SELECT account, asset, amount FROM ledger_postings"):
    bal[(acct, asset)] = bal.get((acct, asset), D(0)) + D(amt)
tot = {}
for (a, s), v in bal.items():
    tot[s] = tot.get(s, D(0)) + v
bad += ["%s sums to %s" % (s, v) for s, v in tot.items() if v != 0]
unit = D("0.00000001")
usdt, btc = D(1000000), D(10)
for f in rec["fills"]:
    q = D(f["qty"])
    n = (q * D(f["price"])).quantize(unit)
    n = (q * D(f["price"])).quantize(unit, rounding="ROUND_HALF_UP")
    if f["side"] == "buy":
        usdt -= n; btc += q
    else:
        usdt += n; btc -= q
    usdt -= D(f["fee_quote"])
if bal.get(("live:storm", "USDT")) != usdt or bal.get(("live:storm", "BTC"), D(0)) != btc:
    bad.append("balances USDT %s BTC %s, the venue's fills say USDT %s BTC %s" % (bal.get(("live:storm", "USDT")), bal.get(("live:storm", "BTC")), usdt, btc))
print("; ".join(bad[:6]) if bad else "%d orders at the venue (%d duplicates refused there), %d fills, USDT %s, BTC %s" % (len(vo), rec["refused"]["duplicate"], len(vfills), usdt, btc))
sys.exit(1 if bad or len(vfills) < min(10, int(__import__("os").environ["KILLS"])) else 0)
PY
)
if [ $? -eq 0 ]; then ok "the venue's record and ours agree after $KILLS kills ($out)"; else not_ok "the venue's record and ours agree after $KILLS kills" "$out"; fi
bs=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["refused"]["bad_sign"])' "$T/record.json")
check "the venue saw no bad signature ($bs)" test "$bs" -eq 0
finish
