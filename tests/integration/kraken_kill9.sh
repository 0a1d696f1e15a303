#!/bin/sh
# kill -9 against Kraken through the real adapter: the storm strategy trades
# a live account on the kraken instance, against tests/fakes/fake_kraken.py
# (which outlives quantd), and the daemon is killed with SIGKILL at KILLS
# random moments (10 by default), started again each time.  Afterwards,
# (acknowledgements delayed, so that kills fall between an order reaching
# the venue and its answer), the venue's record against ours (as
# kill9_venue.sh checks it): every
# order at the venue is one we wrote ahead, each client id was taken once,
# its fills are our fills exactly, each order's state is the venue's, and
# the ledger holds exactly what the venue's fills and fees say.
. "$QD_SRCDIR/tests/integration/lib.sh"
PY=/usr/bin/python3
KILLS=${KILLS:-10}
export KILLS   # the checks below scale with it
KR_KEY=k9-key-$$
KR_SECRET=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(64)).decode())')
export KR_KEY KR_SECRET
# The venue holds what the account is configured with: the host brings
# the account's books to the venue's balances, which then equal the start
# plus the venue's fills.
FAKE_KRAKEN_KEY=$KR_KEY FAKE_KRAKEN_SECRET=$KR_SECRET \
	FAKE_KRAKEN_USDT=1000000 FAKE_KRAKEN_BTC=0 \
	"$PY" "$QD_SRCDIR/tests/fakes/fake_kraken.py" "$T/ports" 2> "$T/fake.err" &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/ports" || { not_ok "the fake starts" "$(cat "$T/fake.err")"; finish; exit 1; }
read WS HTTP < "$T/ports"
make_config
ln -s "$QD_BUILDDIR/lib/plugins/exchange-kraken.so" "$T/plugins/"
ln -s "$TP/tp-storm.so" "$T/plugins/"
sed -i 's|"state_dir": "var",|"state_dir": "var", "storage": {"url": "quantd.db", "enabled": false},|' "$T/quantd.json"
sed -i 's|"level": "debug"|"level": "info"|' "$T/quantd.json"
cat > "$T/quantd.d/kraken.json" <<JSON
{"plugin": "kraken", "instance": "kraken", "symbols": ["BTC/USDT"], "timeframes": ["1m"],
 "secrets": {"api_key": "env:KR_KEY", "api_secret": "env:KR_SECRET"},
 "params": {"ws_url": "ws://127.0.0.1:$WS/v2", "rest_url": "http://127.0.0.1:$HTTP",
            "ws_auth_url": "ws://127.0.0.1:$WS/v2-auth"}}
JSON
cat > "$T/quantd.d/storm.json" <<JSON
{"plugin": "tp-storm", "instance": "storm", "exchange": "kraken",
 "account": {"id": "live:storm", "venue": "kraken", "balance": 1000000, "quote": "USDT"},
 "params": {"seed": 9, "every": 40}}
JSON

# Acknowledgements come 0.3 s late: kills land between an order reaching
# the venue and its answer reaching us.
curl -s -X POST "http://127.0.0.1:$HTTP/fake/delay_ack?s=0.3" > /dev/null
kill_loop "$KILLS" 1.0 2.5
check "the daemon started after each of $KILLS kills" test "$kl_started" -eq "$KILLS"
# The last run has no strategy: its account and open orders come back
# from the store and are reconciled with the venue.
rm "$T/quantd.d/storm.json"
start_fresh || not_ok "the daemon starts after the last kill"
sleep 1
settle_venue "http://127.0.0.1:$HTTP" open,pending cl_ord_id || echo "# the open orders did not settle in 30 s"
quiesce_venue "http://127.0.0.1:$HTTP" open,pending || echo "# orders were still open after the cancels"
stop_daemon
curl -s "http://127.0.0.1:$HTTP/fake/record" > "$T/record.json"
out=$("$PY" - "$T/var/quantd.db" "$T/record.json" <<'PY'
import json, sqlite3, sys
from decimal import Decimal as D, ROUND_HALF_UP
from fractions import Fraction
db = sqlite3.connect(sys.argv[1])
rec = json.load(open(sys.argv[2]))
bad = []
ours = {r[0]: r for r in db.execute("SELECT client_id, id, state, qty, filled, venue_order_id FROM orders")}
vo = {}
for o in rec["orders"]:
    if o["cl_ord_id"] in vo:
        bad.append("the venue took %s twice" % o["cl_ord_id"])
    vo[o["cl_ord_id"]] = o
for cid in vo:
    if cid not in ours:
        bad.append("the venue has %s, which we never wrote" % cid)
vfills = {f["trade_id"]: f for f in rec["fills"]}
our_fills = {r[1]: r for r in db.execute("SELECT order_id, trade_id, qty, price, fee, side FROM fills")}
if set(vfills) != set(our_fills):
    bad.append("fills differ: %d at the venue, %d ours, %d missing, %d extra" % (len(vfills), len(our_fills), len(set(vfills) - set(our_fills)), len(set(our_fills) - set(vfills))))
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
    vs = v["status"]
    if vs == "open":
        want = ("partial", "pending") if D(v["vol_exec"]) > 0 else ("pending",)
    else:
        want = {"closed": ("filled",), "canceled": ("canceled",), "expired": ("expired",)}[vs]
    if st not in want:
        bad.append("%s: %s here, %s at the venue" % (cid, st, vs))
    if D(o[4]) != D(v["vol_exec"]):
        bad.append("%s: filled %s here, %s at the venue" % (cid, o[4], v["vol_exec"]))
bal = {}
for acct, asset, amt in db.execute("SELECT account, asset, amount FROM ledger_postings"):
    bal[(acct, asset)] = bal.get((acct, asset), D(0)) + D(amt)
tot = {}
for (a, s), v in bal.items():
    tot[s] = tot.get(s, D(0)) + v
bad += ["%s sums to %s" % (s, v) for s, v in tot.items() if v != 0]
unit = D("0.00000001")
usdt, btc = D(1000000), D(0)
for f in rec["fills"]:
    q = D(f["qty"]); n = Fraction(q) * Fraction(D(f["price"]))
    n = (D(n.numerator) / D(n.denominator)).quantize(unit, rounding=ROUND_HALF_UP)
    if f["side"] == "buy":
        usdt -= n; btc += q
    else:
        usdt += n; btc -= q
    usdt -= D(f["fee"])
if bal.get(("live:storm", "USDT")) != usdt or bal.get(("live:storm", "BTC"), D(0)) != btc:
    bad.append("balances USDT %s BTC %s, the venue's fills say USDT %s BTC %s" % (bal.get(("live:storm", "USDT")), bal.get(("live:storm", "BTC")), usdt, btc))
print("; ".join(bad[:6]) if bad else "%d orders at the venue (%d duplicates refused there), %d fills, USDT %s, BTC %s" % (len(vo), rec["refused"]["duplicate"], len(vfills), usdt, btc))
sys.exit(1 if bad or len(vfills) < min(10, 2 * int(__import__("os").environ["KILLS"])) else 0)
PY
)
if [ $? -eq 0 ]; then ok "the venue's record and ours agree after $KILLS kills ($out)"; else not_ok "the venue's record and ours agree after $KILLS kills" "$out"; fi
if grep -qF "$KR_SECRET" "$T/quantd.log" "$T/stdout" "$T/stderr"; then not_ok "no secret in the log"; else ok "no secret in the log"; fi
finish
